// Light and dark themes: CSS variables keyed on <html data-theme>, remembered in localStorage
// (index.html applies it before the first paint).
import { useCallback, useState } from "react";

export type Theme = "light" | "dark";
const KEY = "mlyard.theme";

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  const toggle = useCallback(() => {
    const next: Theme = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* private mode: the theme lasts for the page */
    }
    setTheme(next);
  }, []);
  return [theme, toggle];
}

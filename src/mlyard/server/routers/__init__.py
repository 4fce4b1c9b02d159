"""One router per asset kind; each is thin: parse, authorize, call one service, shape the answer."""

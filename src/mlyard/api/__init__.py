"""Wire schemas (pydantic), shared by the server and the SDK: the REST API's contract."""

"""The API docs at /schema, served entirely by the app: no CDN, so they work on an intranet
with no internet, and no inline script, so they work under the strict Content-Security-Policy.

Swagger UI's files come from the `swagger-ui-py` package (Swagger UI 5, which reads OpenAPI
3.1); the few lines that start it are our own static file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui
from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/static/docs"
SWAGGER_ASSETS = Path(swagger_ui.__file__).parent / "static"
OUR_ASSETS = Path(__file__).parent / "static"

PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>园区员工之家 · API 文档</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/api-docs.js"></script>
</body>
</html>
""".encode()


class OfflineSwagger(OpenAPIRenderPlugin):
    """Swagger UI from the app's own assets."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return PAGE


def docs_assets() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[OUR_ASSETS, SWAGGER_ASSETS],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        name="docs-assets",
    )

"""A browser-like session for page tests: the cookie jar keeps the login and the CSRF cookie."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.housing import factories

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def field_errors(html: str) -> dict[str, str]:
    """The messages a page shows next to its fields."""
    return dict(re.findall(r'class="field-error" data-field="([^"]+)">([^<]*)<', html))


@dataclass
class Browser:
    client: AsyncTestClient[Any]
    park: factories.Park
    token: str = ""

    async def get(self, path: str, **kwargs: Any) -> Any:
        response = await self.client.get(path, **kwargs)
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True, **kwargs: Any) -> Any:
        if csrf and not self.token:
            await self.get("/login")
        body = {**data, "_csrf_token": self.token} if csrf else data
        return await self.client.post(path, data=body, follow_redirects=False, **kwargs)

    async def log_in(self, username: str, password: str = factories.PASSWORD) -> Any:
        await self.get("/login")
        return await self.post("/login", {"username": username, "password": password})


@pytest.fixture
def browser(client: AsyncTestClient[Any], park: factories.Park) -> Browser:
    client.cookies.clear()
    return Browser(client, park)

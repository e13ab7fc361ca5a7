"""User-facing text: Simplified Chinese first, English when the client asks for it.

Messages are looked up by key at response time, so a rule raises `Problem("unit.not_found")`
without knowing who will read it; the request's `Accept-Language` picks the language.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    # generic
    "invalid_input": ("输入有误，请按提示修改。", "Invalid input; please correct the fields listed."),
    "malformed_body": ("请求内容不是有效的 JSON。", "The request body is not valid JSON."),
    "not_authenticated": ("请先登录。", "Please log in first."),
    "forbidden": ("您的角色无权进行此操作。", "Your role is not allowed to do this."),
    "not_found": ("未找到该记录，或您无权查看。", "Not found, or not yours to see."),
    "route_not_found": ("没有这个地址。", "No such address."),
    "method_not_allowed": ("此地址不支持该请求方法。", "This address does not accept that method."),
    "conflict": ("与已有记录冲突。", "Conflicts with an existing record."),
    "in_use": ("该记录仍被其他记录引用，无法删除。", "Still referenced by other records; cannot delete."),
    "too_many_attempts": (
        "登录失败次数过多，请 {retry_after} 秒后再试。",
        "Too many failed logins; try again in {retry_after} seconds.",
    ),
    "server_error": ("服务器内部错误，已记录，请稍后再试。", "Internal error; it has been logged. Please retry later."),
    # auth
    "bad_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "account_inactive": ("该账号已停用，请联系园区管理人员。", "This account is deactivated; contact park staff."),
    # fields
    "unknown_reference": ("{field} 指向的记录不存在。", "{field} refers to a record that does not exist."),
    "duplicate": ("{field} 已存在：{value}", "{field} already exists: {value}"),
    "firm_not_yours": (
        "HR 只能管理本企业的员工，不能指定 firm_id。",
        "HR manages only its own firm's workers; firm_id cannot be chosen.",
    ),
    "firm_id_required": ("请指定员工所属企业 firm_id。", "firm_id is required."),
    "id_number_invalid": (
        "身份证号码无效（校验位或出生日期不正确）。",
        "Invalid resident ID number (check digit or birth date is wrong).",
    ),
    "id_number_too_young": (
        "按身份证号码，此人未满 16 周岁，不能登记为员工。",
        "By the ID number this person is under 16.",
    ),
    "gender_mismatch": ("性别与身份证号码不符。", "Gender does not match the ID number."),
    "mobile_invalid": ("手机号码无效。", "Invalid mobile number."),
    "phone_invalid": ("电话号码无效。", "Invalid phone number."),
    "uscc_invalid": ("统一社会信用代码无效。", "Invalid unified social credit code."),
    "floor_out_of_range": (
        "楼层超出该楼栋的层数（1–{floors}）。",
        "Floor is outside the building's floors (1–{floors}).",
    ),
    "invalid_area": (
        "面积应为大于 0、不超过 10000 的数字（平方米）。",
        "Area must be a number of m² above 0 and at most 10000.",
    ),
    "area_precision": ("面积最多保留两位小数。", "Area takes at most two decimal places."),
    "hr_creates_worker_accounts": (
        "HR 只能为本企业的员工开通账号。",
        "HR can only open accounts for its own firm's workers.",
    ),
    "worker_id_required": ("员工账号须指定 worker_id。", "A worker account needs worker_id."),
    "staff_has_no_firm": ("园区工作人员账号不属于任何企业或员工。", "A staff account belongs to no firm or worker."),
    "worker_has_account": ("该员工已有账号。", "This worker already has an account."),
    "cannot_deactivate_self": ("不能停用自己正在使用的账号。", "You cannot deactivate the account you are using."),
    "wrong_current_password": ("当前密码不正确。", "The current password is wrong."),
    "blank": ("不能为空。", "Must not be blank."),
}


def pick_language(accept_language: str | None) -> Lang:
    """English only when the client prefers it; everyone else reads Chinese."""
    if not accept_language:
        return "zh"
    first = accept_language.split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def text(key: str, lang: Lang, **params: object) -> str:
    zh, en = MESSAGES.get(key, (key, key))
    template = en if lang == "en" else zh
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


_TYPE_NAMES_ZH = {
    "int": "整数",
    "str": "字符串",
    "bool": "布尔值",
    "float": "数字",
    "decimal": "数字",
    "object": "对象",
    "array": "数组",
    "null": "空值",
}

_VALIDATION_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Expected `(\w+)` >= (\S+)"), "应为不小于 {1} 的{0}"),
    (re.compile(r"^Expected `(\w+)` > (\S+)"), "应为大于 {1} 的{0}"),
    (re.compile(r"^Expected `(\w+)` <= (\S+)"), "应为不大于 {1} 的{0}"),
    (re.compile(r"^Expected `str` of length <= (\d+)"), "长度不能超过 {0} 个字符"),
    (re.compile(r"^Expected `str` of length >= (\d+)"), "长度至少 {0} 个字符"),
    (re.compile(r"^Expected `array` of length <= (\d+)"), "最多 {0} 项"),
    (re.compile(r"^Expected `(\w+)`(?: \| `\w+`)*, got `(\w+)`"), "应为{0}，实际为{1}"),
    (re.compile(r"^Invalid enum value '?([^']*)'?"), "取值无效：{0}"),
    (re.compile(r"^Object missing required field `(\w+)`"), "缺少必填字段 {0}"),
    (re.compile(r"^Object contains unknown field `(\w+)`"), "包含未知字段 {0}"),
    (re.compile(r"^Expected `str` matching regex"), "格式不正确"),
]


def translate_validation(message: str, lang: Lang) -> str:
    """msgspec explains in English; a clerk reading Chinese gets the same facts in Chinese."""
    message = re.sub(r" - at `\$[^`]*`$", "", message)
    if lang == "en":
        return message
    for pattern, template in _VALIDATION_PATTERNS:
        match = pattern.match(message)
        if match:
            parts = [_TYPE_NAMES_ZH.get(g, g) for g in match.groups()]
            return template.format(*parts)
    return message

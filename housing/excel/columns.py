"""The columns of the register's spreadsheets, and how a cell becomes a value of the API.

One `Col` list per sheet serves the template, the export and the import, so a sheet exported
today imports tomorrow: the same Chinese headers, the same labels (男/女, 白班/夜班/倒班), the
same units (m², yuan per m²). A cell reader is a pure function that turns what a clerk typed —
text or a number, an Excel date or ISO text, a Chinese or an English label — into the value the
API's request struct expects, or raises `CellError` with a message key; then the row decodes
into that same struct (`WorkerCreate`, `BuildingCreate`, …) and meets the same validators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

BLANK = object()
"""What a reader returns for an empty cell (None, or only spaces)."""


class CellError(Exception):
    """A cell that cannot mean anything: its message key and parameters (housing.web.i18n)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


Reader = Callable[[Any], Any]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> Any:
    """Text, trimmed. A number cell is fine where its digits are the meaning (工号 1001, a
    mobile typed as a number); a date or a fraction in a text column is refused."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        raise CellError("excel_not_text")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        raise CellError("excel_not_text")
    if isinstance(value, datetime | date):
        raise CellError("excel_not_text")
    return str(value).strip()


def id_text(value: Any) -> Any:
    """A resident ID number must be a text cell: Excel keeps 15 significant digits, so an
    18-digit number cell has already lost its last digits (and a final X cannot be a number)."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError("excel_id_as_number")
    return text(value)


def integer(value: Any) -> Any:
    """A whole number, typed as a number or as text ("6")."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        raise CellError("excel_not_integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    raise CellError("excel_not_integer")


def decimal(value: Any) -> Any:
    """A number kept exact: a float cell is read through its shortest text (36.5, not
    36.49999…), text is read as written ("36.50")."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool) or isinstance(value, datetime | date):
        raise CellError("excel_not_number")
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError("excel_not_number") from None
    if not number.is_finite():
        raise CellError("excel_not_number")
    return number


def yuan_to_fen(value: Any) -> Any:
    """Yuan with at most two decimals (5, 5.00, "5.5") → integer fen."""
    amount = decimal(value)
    if amount is BLANK:
        return BLANK
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("excel_yuan_precision")
    return int(fen)


def day(value: Any) -> Any:
    """A date cell, or ISO text (2024-03-01; 2024/3/1 too). A bare number is ambiguous
    (a serial day? a year?) and is refused."""
    if _is_blank(value):
        return BLANK
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        raw = value.strip().replace("/", "-").replace(".", "-")
        parts = raw.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    raise CellError("excel_not_date")


def choice(labels: Mapping[str, str]) -> Reader:
    """One of the API's values, written as its Chinese label or the English value itself."""
    accepted = {label.lower(): api for label, api in labels.items()}
    accepted.update({api.lower(): api for api in labels.values()})
    shown = "/".join(dict.fromkeys(labels))

    def read(value: Any) -> Any:
        if _is_blank(value):
            return BLANK
        found = accepted.get(str(value).strip().lower()) if not isinstance(value, bool) else None
        if found is None:
            raise CellError("excel_choice", choices=shown)
        return found

    return read


def boolean(value: Any) -> Any:
    if _is_blank(value):
        return BLANK
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in {"是", "true", "yes", "y", "1"}:
        return True
    if word in {"否", "false", "no", "n", "0"}:
        return False
    raise CellError("excel_choice", choices="是/否")


GENDER_LABELS = {"男": "male", "女": "female"}
SHIFT_LABELS = {"白班": "day", "夜班": "night", "倒班": "rotating"}
HOUSING_LABELS = {"宿舍": "dorm", "外租": "off_site", "自有住房": "own_home"}
GENDER_RULE_LABELS = {"不限": "any", "男": "male", "女": "female"}
UNIT_STATUS_LABELS = {"可用": "available", "维修": "maintenance", "停用": "retired"}
YES_NO = {"是": "true", "否": "false"}


def label_of(labels: Mapping[str, str], api_value: Any) -> Any:
    """The Chinese label an export writes for an API value."""
    for label, value in labels.items():
        if value == api_value:
            return label
    return api_value


@dataclass(frozen=True)
class Col:
    """One column: the API field it fills, its headers, how a cell is read, how it looks."""

    field: str
    zh: str
    en: str
    read: Reader
    required: bool = False
    width: int = 12
    labels: Mapping[str, str] = dataclass_field(default_factory=dict)  # a drop-down list in the template
    kind: str = "text"  # text | number | date | yuan | decimal (the cell format)
    help_zh: str = ""
    example: Any = None


WORKER_COLUMNS: tuple[Col, ...] = (
    Col("name", "姓名", "Name", text, True, 10, help_zh="1–50 个字", example="张伟"),
    Col(
        "gender",
        "性别",
        "Gender",
        choice(GENDER_LABELS),
        True,
        6,
        GENDER_LABELS,
        help_zh="男/女，须与身份证号一致",
        example="男",
    ),
    Col(
        "id_number",
        "身份证号",
        "ID number",
        id_text,
        True,
        21,
        help_zh="18 位，须设为文本格式（数字格式会丢失末位）",
        example="421002199503140116",
    ),
    Col("mobile", "手机号", "Mobile", text, True, 14, help_zh="11 位手机号码", example="13812345678"),
    Col(
        "employee_no",
        "工号",
        "Employee no.",
        text,
        True,
        10,
        help_zh="本企业内唯一；导入时按 企业+工号 对应已有员工",
        example="E0001",
    ),
    Col(
        "firm",
        "企业",
        "Firm",
        text,
        False,
        28,
        help_zh="企业名称或统一社会信用代码；园区工作人员必填，企业 HR 留空或填本企业",
        example="荆州华鑫电子科技有限公司",
    ),
    Col(
        "shift",
        "班次",
        "Shift",
        choice(SHIFT_LABELS),
        False,
        8,
        SHIFT_LABELS,
        help_zh="白班/夜班/倒班，空白为白班",
        example="白班",
    ),
    Col(
        "housing_status",
        "住宿",
        "Housing",
        choice(HOUSING_LABELS),
        False,
        10,
        HOUSING_LABELS,
        help_zh="宿舍/外租/自有住房，空白为宿舍",
        example="宿舍",
    ),
    Col(
        "hired_on",
        "入职日期",
        "Hired on",
        day,
        False,
        12,
        kind="date",
        help_zh="日期或 2024-03-01，空白为今天",
        example=date(2024, 3, 1),
    ),
    Col(
        "left_on", "离职日期", "Left on", day, False, 12, kind="date", help_zh="已离职者填写；空白不改动", example=None
    ),
)

BUILDING_COLUMNS: tuple[Col, ...] = (
    Col(
        "code", "楼栋编号", "Code", text, True, 10, help_zh="字母数字，如 B01；导入时按编号对应已有楼栋", example="B01"
    ),
    Col("name", "楼栋名称", "Name", text, True, 24, help_zh="1–100 个字", example="员工之家1号楼"),
    Col("floors", "层数", "Floors", integer, True, 6, kind="number", help_zh="1–200", example=6),
    Col(
        "gender_rule",
        "性别限制",
        "Gender rule",
        choice(GENDER_RULE_LABELS),
        False,
        10,
        GENDER_RULE_LABELS,
        help_zh="不限/男/女，空白为不限",
        example="不限",
    ),
)

UNIT_COLUMNS: tuple[Col, ...] = (
    Col(
        "building",
        "楼栋编号",
        "Building code",
        text,
        True,
        10,
        help_zh="已登记的楼栋，或本工作簿“楼栋”表中的楼栋",
        example="B01",
    ),
    Col("floor", "楼层", "Floor", integer, True, 6, kind="number", help_zh="不超过楼栋层数", example=1),
    Col(
        "number",
        "房号",
        "Unit no.",
        text,
        True,
        8,
        help_zh="楼栋内唯一；导入时按 楼栋+房号 对应已有房间",
        example="101",
    ),
    Col(
        "area_m2",
        "面积（m²）",
        "Area (m²)",
        decimal,
        True,
        10,
        kind="decimal",
        help_zh="最多两位小数",
        example=Decimal("36.50"),
    ),
    Col("beds", "床位数", "Beds", integer, True, 8, kind="number", help_zh="1–20", example=4),
    Col(
        "status",
        "状态",
        "Status",
        choice(UNIT_STATUS_LABELS),
        False,
        8,
        UNIT_STATUS_LABELS,
        help_zh="可用/维修/停用，空白为可用",
        example="可用",
    ),
    Col(
        "rent_rate_fen_per_m2",
        "租金单价（元/m²·月）",
        "Rent (CNY per m² a month)",
        yuan_to_fen,
        False,
        12,
        kind="yuan",
        help_zh="最多两位小数，空白为 5.00",
        example=Decimal("5.00"),
    ),
)

FIRM_COLUMNS: tuple[Col, ...] = (
    Col("name", "企业名称", "Name", text, True, 30, help_zh="园区内唯一", example="荆州华鑫电子科技有限公司"),
    Col(
        "uscc",
        "统一社会信用代码",
        "USCC",
        text,
        True,
        22,
        help_zh="18 位；导入时按信用代码对应已有企业",
        example="91421000MA0000001X",
    ),
    Col("contact_name", "联系人", "Contact", text, True, 10, help_zh="1–50 个字", example="王经理"),
    Col(
        "contact_phone",
        "联系电话",
        "Phone",
        text,
        True,
        14,
        help_zh="手机或固话（如 07168123456）",
        example="07168123456",
    ),
    Col("is_key", "重点企业", "Key firm", boolean, False, 8, YES_NO, help_zh="是/否，空白为否", example="否"),
)

WORKERS_SHEET = ("员工", "Workers")
BUILDINGS_SHEET = ("楼栋", "Buildings")
UNITS_SHEET = ("房间", "Units")
FIRMS_SHEET = ("企业", "Firms")

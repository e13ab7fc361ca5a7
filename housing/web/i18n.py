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
    # titles (one per status, no placeholders)
    "title_bad_request": ("请求无法处理", "Bad request"),
    "title_not_found": ("未找到", "Not found"),
    "title_too_large": ("请求内容过大", "Request too large"),
    "title_too_many": ("尝试次数过多", "Too many attempts"),
    # generic
    "invalid_input": ("输入有误，请按提示修改。", "Invalid input; please correct the fields listed."),
    "malformed_body": ("请求内容不是有效的 JSON。", "The request body is not valid JSON."),
    "malformed_at": ("JSON 格式错误：{reason}", "Malformed JSON: {reason}"),
    "not_utf8": ("请求内容不是有效的 UTF-8 文本（第 {at} 字节）。", "The body is not valid UTF-8 (at byte {at})."),
    "too_deep": ("JSON 嵌套层数过多。", "The JSON is nested too deeply."),
    "empty_body": ("请求内容为空，请提交 JSON 数据。", "The request body is empty; send a JSON body."),
    "unsupported_media_type": (
        "只接受 JSON 格式的请求内容（Content-Type: application/json）。",
        "Only JSON bodies are accepted (Content-Type: application/json).",
    ),
    "json_only": ("应为 application/json", "must be application/json"),
    "nul_character": ("不能包含空字符（NUL）。", "Must not contain a NUL character."),
    "unusable_value": (
        "不能包含空字符（NUL），日期须在 1900–2199 年之间。",
        "Must not contain a NUL character; dates must fall in 1900–2199.",
    ),
    "too_large": ("请求内容过大。", "The request is too large."),
    "not_authenticated": ("请先登录。", "Please log in first."),
    "forbidden": ("您的角色无权进行此操作。", "Your role is not allowed to do this."),
    "not_found": ("未找到该记录，或您无权查看。", "No such record, or not yours to see."),
    "route_not_found": (
        "未找到：地址不存在，或其中的编号格式不对。",
        "Not found: no such address, or an id in it is malformed.",
    ),
    "method_not_allowed": ("此地址不支持该请求方法。", "This address does not accept that method."),
    "conflict": ("与已有记录冲突。", "Conflicts with an existing record."),
    "firm_inactive": (
        "贵企业已退出园区，账号只能查看历史记录，不能再修改。",
        "Your firm has left the park: this login can read its history but change nothing.",
    ),
    "upload_empty": ("文件为空。", "The file is empty."),
    "upload_too_large": ("文件不能超过 10 MB。", "The file must not exceed 10 MB."),
    "upload_type": (
        "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断）。",
        "Only PDF, JPEG or PNG files are accepted (judged by content).",
    ),
    "in_use": ("该记录仍被其他记录引用，无法删除。", "Still referenced by other records; cannot delete."),
    "too_many_attempts": (
        "登录失败次数过多，请 {retry_after} 秒后再试。",
        "Too many failed logins; try again in {retry_after} seconds.",
    ),
    "admin_login_failed": ("用户名或密码错误。", "The username or password is incorrect."),
    "server_error": ("服务器内部错误，已记录，请稍后再试。", "Internal error; it has been logged. Please retry later."),
    # solver explanations (housing/leasing/explanations.py)
    "short_head": ("{gender}床位申请 {requested} 张，缺 {short} 张：", "{short} of {requested} {gender} beds short: "),
    "short_not_optimal": (
        "还有 {units} 套可用空房，求解器在时限内未能用上（可延长时限重算）。",
        "{units} free unit(s) it could take remain; the solver stopped at its time limit (run again with more time).",
    ),
    "short_budget": (
        "租金上限 {budget} 元（已用 {rent} 元），剩余不足以租下最便宜的可用房间（{cheapest} 元/月）。",
        "its rent limit ({budget} CNY, {rent} CNY used) leaves less than the cheapest unit it could use "
        "({cheapest} CNY a month).",
    ),
    "short_buildings": (
        "剩余空床位都在贵企业未选择的楼栋：{beds}。",
        "the free beds left are in buildings it did not accept: {beds}.",
    ),
    "short_gender_rule": (
        "所选楼栋剩余的空房只限{other}性入住（{beds} 床）。",
        "the free units left in its buildings are {other}-only ({beds} beds).",
    ),
    "short_scarcity": (
        "可用房间均已出租，床位不足由各企业按优先级分担。",
        "every unit it could take is leased; the shortage is shared by priority.",
    ),
    "short_scarcity_move": (
        "（把 {building} 的一套 {beds} 床房间从{holder}调给贵企业，对方损失 {lose} 分、贵企业得 {gain} 分。）",
        " (moving one {beds}-bed unit in {building} from {holder} would cost them {lose} penalty points "
        "to gain {gain}.)",
    ),
    "firm_not_filed": (
        "本期未提交床位申请：保留现有房间和床位。",
        "No request filed for this period: the firm keeps the units and beds it holds.",
    ),
    # bed proposals
    "proposal_in_past": ("提案的入住日期不能早于今天。", "A proposal cannot start before today."),
    "proposal_confirmed": ("该床位提案已确认过。", "This bed proposal has already been confirmed."),
    "proposal_stale": (
        "提案生成后，贵企业的房间、床位或员工已有变化，请重新生成提案。",
        "The firm's units, beds or workers changed since this proposal was made: ask for a new one.",
    ),
    # trade-off runs
    "tradeoff_has_no_budget": (
        "权衡曲线本身覆盖从最少搬迁到不限搬迁的各个方案，不能再指定搬迁上限。",
        "A trade-off curve spans the fewest moves to no limit: it takes no moves budget.",
    ),
    "choose_point_first": (
        "这是权衡曲线方案：请先选择要执行的点（POST …/choose）。",
        "This run is a trade-off curve: choose the point to apply first (POST …/choose).",
    ),
    "run_has_no_curve": ("该方案没有权衡曲线（或尚未算完）。", "This run has no trade-off curve (or it is not done)."),
    "no_such_point": ("没有这个点：可选 0 到 {last}。", "No such point: choose 0 to {last}."),
    "point_has_no_plan": ("这个点没有可行方案。", "This point has no feasible plan."),
    # auth
    "bad_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "account_inactive": ("该账号已停用，请联系园区管理人员。", "This account is deactivated; contact park staff."),
    # fields
    "unknown_reference": ("{field} 指向的记录不存在。", "{field} refers to a record that does not exist."),
    "duplicate": ("{field} 已存在：{value}", "{field} already exists: {value}"),
    "duplicate_no_value": ("{field} 与已有记录重复。", "{field} duplicates an existing record."),
    "id_number_registered": (
        "此身份证号码已登记为园区内的在职员工。如此人已离开原企业，请联系园区管委会核实后再登记。",
        "This ID number is registered as an active worker in the park. If the person has left that "
        "employer, ask park staff (the management committee) to check before registering again.",
    ),
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
    "left_before_hired": ("离职日期不能早于入职日期。", "The leaving date cannot be before the hiring date."),
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
    "password_too_short": ("密码至少 {min} 个字符。", "A password needs at least {min} characters."),
    "password_too_common": (
        "这个密码太常见，很容易被猜中，请换一个。",
        "This password is among the most common ones and easy to guess; choose another.",
    ),
    "password_is_personal": (
        "密码不能与用户名、手机号码或身份证号码相同。",
        "A password must not equal the username, mobile number or ID number.",
    ),
    "blank": ("不能为空。", "Must not be blank."),
    # housing cycle
    "ends_before_start": ("结束日期不能早于开始日期。", "The end date is before the start date."),
    "deadline_after_start": (
        "申报截止日期须早于周期开始日期。",
        "The request deadline must fall before the period starts.",
    ),
    "period_allocated": (
        "该周期已完成分配，起止日期不能再改。",
        "This period has been allocated; its dates can no longer change.",
    ),
    "period_not_open": (
        "该周期的申报已截止（或已完成分配），只有园区工作人员可以修改。",
        "Requests for this period are closed (or it is allocated); only park staff may change them.",
    ),
    "lease_overlaps": (
        "该房间在这段日期内已有租约（租约日期不能重叠）。",
        "The unit is already leased on some of these days (leases may not overlap).",
    ),
    "unit_not_available": ("该房间正在维修或已停用，不能出租。", "The unit is under maintenance or retired."),
    "unit_gender_rule": ("该楼栋只能住 {rule} 性别的员工。", "The building houses only gender {rule}."),
    "firm_inactive_lease": ("该企业已退出园区，不能签新租约。", "The firm has left the park; no new lease."),
    "lease_has_occupants": (
        "房间里还有员工入住，请先安排他们搬出再结束租约。",
        "Workers still sleep in this unit; move them out before ending the lease.",
    ),
    "bed_out_of_range": ("床位号应在 1–{beds} 之间。", "The bed number must be 1–{beds}."),
    "unit_not_leased_to_firm": (
        "该房间在这一天不是本企业租用的。",
        "The unit is not leased to the worker's firm on that day.",
    ),
    "unit_other_gender": ("该房间租给了另一性别的员工。", "The unit is leased for the other gender."),
    "bed_taken": ("这个床位已有人入住。", "Someone already sleeps in this bed."),
    "worker_has_bed": ("该员工已有床位。", "The worker already has a bed."),
    "already_in_this_bed": ("该员工已经住在这个床位。", "The worker already sleeps in this bed."),
    "already_moved_out": ("该员工已从这个床位搬出。", "The worker has already moved out of this bed."),
    "month_billed": ("该企业这个月的租金账单已开出。", "This firm's month has already been billed."),
    "invoice_already_void": ("该账单已作废。", "This invoice is already void."),
    "period_allocated_runs": (
        "该周期已完成分配，不能再运行或应用方案。",
        "This period is already allocated; no more runs can be started or applied.",
    ),
    "run_not_appliable": (
        "该方案已应用、已被取代或正在应用中。",
        "This run has been applied, superseded, or is being applied right now.",
    ),
    "run_not_running": ("该方案已算完或已结束，无需停止。", "This run is not queued or running."),
    "run_not_done": ("该方案尚未算完（或没有可用的方案）。", "This run has not finished with a usable plan."),
    "run_inputs_changed": (
        "自方案计算以来，申请、房间或租约已有变动，请重新运行后再应用。",
        "Requests, units or leases changed since this run's snapshot; run again before applying.",
    ),
    "staff_sets_priority": ("优先级由园区工作人员设定。", "Priority is set by park staff."),
    "request_exists": (
        "该企业在本周期已有用房申请，请修改原申请。",
        "This firm already has a request for this period; change that one instead.",
    ),
    # excel import (issue 10)
    "excel_type": (
        "只接受 .xlsx 格式的 Excel 文件（按文件内容判断；旧的 .xls 请另存为 .xlsx）。",
        "Only .xlsx Excel files are accepted (judged by content; save an old .xls as .xlsx).",
    ),
    "excel_file_required": ("请在表单字段 file 中上传 .xlsx 文件。", "Upload the .xlsx file in the form field `file`."),
    "excel_too_many_rows": (
        "一次最多导入 {max} 行，请分成几个文件导入。",
        "At most {max} rows per import; split the file.",
    ),
    "excel_no_register_sheet": (
        "工作簿中没有“楼栋”“房间”或“企业”工作表。",
        "The workbook has no sheet named 楼栋, 房间 or 企业 (Buildings, Units, Firms).",
    ),
    "excel_rows_invalid": (
        "有 {count} 处错误，未写入任何数据；请按行修改后重新导入。",
        "{count} errors; nothing was written. Correct the rows listed and import again.",
    ),
    "excel_unknown_column": ("无法识别的列名。", "Unknown column header."),
    "excel_repeated_column": ("该列出现了两次。", "This column appears twice."),
    "excel_missing_column": ("缺少此必填列。", "This required column is missing."),
    "excel_required": ("必填，不能为空。", "Required; must not be blank."),
    "excel_not_text": ("应为文字。", "Must be text."),
    "excel_id_as_number": (
        "身份证号须为文本格式：数字格式的单元格只保留 15 位有效数字，已丢失末位。请将该列设为文本后重新填写。",
        "The ID number must be a text cell: a number cell keeps only 15 digits and has lost the last ones. "
        "Format the column as text and type it again.",
    ),
    "excel_id_masked": (
        "身份证号被遮盖（含 *），只有与已登记员工的号码一致时才可保留，请填写完整号码。",
        "The ID number is masked (contains *); a masked number is only accepted unchanged for an existing worker. "
        "Enter the full number.",
    ),
    "excel_not_integer": ("应为整数。", "Must be a whole number."),
    "excel_not_number": ("应为数字。", "Must be a number."),
    "excel_yuan_precision": ("金额最多保留两位小数（元）。", "At most two decimal places (yuan)."),
    "excel_not_date": (
        "应为日期（日期格式的单元格，或 2024-03-01 这样的文字）。",
        "Must be a date (a date cell, or text such as 2024-03-01).",
    ),
    "excel_choice": ("取值应为：{choices}", "Must be one of: {choices}"),
    "excel_duplicate_in_file": ("与本文件第 {other} 行重复。", "Duplicates row {other} of this file."),
    "excel_unknown_firm": (
        "园区内没有名称或信用代码为“{value}”的企业。",
        "No firm in the park is named or coded “{value}”.",
    ),
    "excel_employee_no_taken": (
        "工号 {value} 已属于本企业另一名员工（身份证号不同）。如需更正该员工的身份证号，请在员工信息中单独修改。",
        "Employee no. {value} belongs to another worker of the firm (a different ID number). "
        "To correct that worker's ID number, edit the worker itself.",
    ),
    "excel_unknown_building": (
        "没有编号为 {value} 的楼栋（已登记的或本工作簿“楼栋”表中的）。",
        "No building {value} (registered, or in this workbook's 楼栋 sheet).",
    ),
    # canteen (issue 11)
    "price_overlaps": (
        "该食堂这一餐别在这段日期内已有价格（价格日期不能重叠）。",
        "This canteen already has a price for this meal type on some of these days (prices may not overlap).",
    ),
    "policy_overlaps": (
        "与另一补贴政策（{other} 号）日期重叠且适用对象相同（同一天只能有一项通用政策，每家企业只能有一项专属政策）。",
        "Overlaps policy {other} for the same workers (one general policy a day, and one policy naming a firm).",
    ),
    "monthly_cap_below_daily": ("每月上限不能低于每日上限。", "The monthly cap cannot be below the daily cap."),
    "month_not_ended": ("只能结算已经结束的月份。", "Only a month that has ended can be settled."),
    "month_settled": ("该月已结算。", "This month is already settled."),
    # --- tickets feature ---
    "ticket_wrong_state": (
        "工单当前状态为「{state_zh}」，不能{action_zh}。",
        "The ticket is {state}: it cannot be {action} now.",
    ),
    "ticket_already_assigned": (
        "工单已交办给 {handler}（当前状态「{state_zh}」）；如需改派，请注明 reassign: true。",
        "The ticket is already assigned to {handler} ({state}); send reassign: true to reassign it.",
    ),
    "ticket_already_rated": ("该工单已确认办结并评分，不能重复评分。", "This ticket is already closed and rated."),
    "ticket_reporter_only": (
        "只有提交人可以确认办结或重新打开工单。",
        "Only the reporter may close or reopen a ticket.",
    ),
    "ticket_reopen_window": (
        "工单解决已超过 7 天，不能再重新打开，请提交新工单。",
        "More than 7 days have passed since the ticket was resolved; report a new one instead.",
    ),
    "ticket_firm_not_chosen": (
        "工单所属企业由系统确定，不能指定 firm_id。",
        "The firm is set for you; firm_id cannot be chosen.",
    ),
    "ticket_worker_not_chosen": (
        "只有园区工作人员可以代员工提交工单。",
        "Only park staff may report on a worker's behalf.",
    ),
    "ticket_own_room_only": ("员工只能为自己所住的房间报修。", "A worker reports only for its own room."),
    "ticket_unit_not_leased": ("该房间目前不是贵企业租用的。", "Your firm does not lease this unit now."),
    "ticket_worker_other_firm": ("该员工不属于这家企业。", "The worker does not belong to this firm."),
    "ticket_due_required": ("重大问题须指定办理期限 due_at。", "A major ticket needs its deadline, due_at."),
    "ticket_due_offset": ("办理期限须带时区。", "due_at must carry its UTC offset."),
    "ticket_due_range": (
        "办理期限须晚于现在，且不超过提交后一年。",
        "due_at must be in the future and at most a year after the ticket was reported.",
    ),
    "ticket_due_ordinary": (
        "一般问题的期限固定为提交后 24 小时，不能指定 due_at。",
        "An ordinary ticket is due 24 h after reporting; no due_at.",
    ),
    "ticket_handler_required": (
        "请指定处理人 handler_account_id 或部门 department_id。",
        "Name a handler_account_id or a department_id.",
    ),
    "ticket_handler_not_staff": ("处理人须为在用的园区工作人员账号。", "The handler must be an active staff account."),
    "supervisor_not_staff": (
        "部门负责人须为在用的园区工作人员账号。",
        "The supervisor must be an active staff account.",
    ),
    "ticket_photo_image_only": ("照片只接受 JPEG 或 PNG 图片。", "Photos must be JPEG or PNG images."),
    "ticket_photo_limit": ("每个工单最多 {max} 张照片。", "A ticket takes at most {max} photos."),
    "survey_closed": ("{quarter} 满意度调查已结束。", "The {quarter} survey is closed."),
    "survey_answered": ("贵企业已提交过本次调查，不能重复提交。", "Your firm has already answered this survey."),
    "week_invalid": ("该年份没有这一周。", "That year has no such week."),
    "notice_ticket_due": ("工单 #{id} 为重大问题，办理期限：{due}。", "Ticket #{id} is a major matter, due {due}."),
    "notice_ticket_assigned": (
        "工单 #{id} 已交办给您，办理期限：{due}。",
        "Ticket #{id} is assigned to you, due {due}.",
    ),
    "notice_ticket_resolved": (
        "工单 #{id} 已处理完毕，请在 7 天内确认评价或重新打开。",
        "Ticket #{id} is resolved: confirm and rate it, or reopen it, within 7 days.",
    ),
    "notice_ticket_reopened": ("工单 #{id} 已被提交人重新打开。", "Ticket #{id} was reopened by its reporter."),
    "notice_ticket_warning": (
        "督办提醒：工单 #{id} 即将超期（期限 {due}）。",
        "Reminder: ticket #{id} is due soon ({due}).",
    ),
    "notice_ticket_overdue": (
        "督办：工单 #{id} 已超期（期限 {due}）。",
        "Escalation: ticket #{id} is overdue (was due {due}).",
    ),
    "notice_ticket_auto_closed": (
        "工单 #{id} 解决后 7 天未确认，已自动办结。",
        "Ticket #{id} was not confirmed within 7 days of its resolution and has closed.",
    ),
    # --- end tickets feature ---
    # rental subsidy (housing/subsidies)
    "rental_policy_overlaps": (
        "与补贴政策 #{id}（{valid_from} 至 {valid_to}）的有效期重叠：同一天只能有一条政策生效。"
        "请先把旧政策的结束日期设在新政策开始之前。",
        "Overlaps subsidy policy #{id} ({valid_from} to {valid_to}): only one policy may be in force on a "
        "day. End the old policy before the new one starts.",
    ),
    "rental_policy_overlaps_any": (
        "与另一条补贴政策的有效期重叠：同一天只能有一条政策生效。",
        "Overlaps another subsidy policy: only one policy may be in force on a day.",
    ),
    "rental_policy_month_paid": (
        "{month} 的补贴已经发放，已发放月份适用的政策不能更改或删除。"
        "如需调整：把本政策的结束日期设在已发放月份之后，再新建一条政策。",
        "The subsidy for {month} has been paid: the policy of a paid month cannot change or be deleted. "
        "To change the terms, end this policy after the paid months and create a new policy.",
    ),
    "application_live": (
        "您已有一份在办或已批准的租房补贴申请（#{id}），不能重复申请；如需重新申请，请先撤回原申请。",
        "You already have an open or approved rental subsidy application (#{id}); withdraw it before applying again.",
    ),
    "application_live_any": (
        "您已有一份在办或已批准的租房补贴申请，不能重复申请。",
        "You already have an open or approved rental subsidy application.",
    ),
    "holds_dorm_bed": (
        "您目前住在园区宿舍（有床位），不能申请租房补贴；搬出宿舍后再申请。",
        "You hold a bed in a park dormitory and cannot apply for the rental subsidy; apply after moving out.",
    ),
    "lease_already_ended": (
        "租约结束日期已过，不能为已结束的租约申请补贴。",
        "The lease has already ended; an ended lease cannot be subsidised.",
    ),
    "application_not_submitted": (
        "只有“已提交”的申请可以确认（当前状态：{status_zh}）。",
        "Only a submitted application can be confirmed (it is {status}).",
    ),
    "application_needs_confirmation": (
        "该申请尚未经员工所在企业的 HR 确认，不能批准。请先由 HR 确认。",
        "The worker's HR has not confirmed this application yet; it cannot be approved before that.",
    ),
    "application_needs_contract": (
        "该申请还没有上传租房合同，不能批准。请员工先上传合同。",
        "No rental contract has been uploaded for this application; it cannot be approved before that.",
    ),
    "application_closed": (
        "该申请已结束（当前状态：{status_zh}），不能再进行此操作。",
        "This application is closed (it is {status}); this can no longer be done.",
    ),
    "no_contract": ("该申请还没有上传租房合同。", "No rental contract has been uploaded for this application."),
    "multipart_only": (
        "请用 multipart/form-data 上传，文件字段名为 {field}。",
        "Upload as multipart/form-data with the file in the field {field}.",
    ),
    "upload_missing": ("缺少文件（字段名 {field}）。", "The file is missing (field {field})."),
    "rental_month_not_ended": (
        "{month} 尚未结束（按北京时间），要到 {pay_from} 才能发放该月补贴。",
        "{month} has not ended yet (Asia/Shanghai time); its subsidy can be paid from {pay_from}.",
    ),
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
    "datetime": "带时区的日期时间",
    "date": "日期（YYYY-MM-DD）",
    "time": "时间",
    "uuid": "UUID",
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
    (re.compile(r"^Expected `array` of length >= (\d+)"), "至少 {0} 项"),
    (
        re.compile(r"^Invalid RFC3339 encoded datetime"),
        "日期时间格式不正确，应为带时区的 ISO 8601（如 2027-01-05T12:30:00+08:00）",
    ),
    (re.compile(r"^Invalid RFC3339 encoded date"), "日期格式不正确，应为 YYYY-MM-DD"),
    (re.compile(r"^Invalid decimal string"), "数字格式不正确"),
    (re.compile(r"^Missing required (?:query|path|header|cookie) parameter '?(\w+)'?"), "缺少必填参数 {0}"),
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
    return f"输入无效（{message}）"

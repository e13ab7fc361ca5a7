from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-06T18:19:59:125257"
VERSION = "1.38.0"
DESCRIPTION = "A new role: terminal, a canteen's meal terminal that only posts meal records."


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="housing", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Account",
        tablename="account",
        column_name="role",
        db_column_name="role",
        params={
            "choices": Enum(
                "Role",
                {
                    "staff": "staff",
                    "hr": "hr",
                    "worker": "worker",
                    "terminal": "terminal",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Role", {"staff": "staff", "hr": "hr", "worker": "worker"}
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager

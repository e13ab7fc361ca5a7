"""The one Piccolo app of housing: every feature's tables, one migration history (the only way the schema is made)."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="housing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(
        modules=[
            "housing.register.tables",
            "housing.web.tables",
            "housing.leasing.tables",
            "housing.billing.tables",
            "housing.jobs.tables",
            "housing.tickets.tables",  # tickets
            "housing.subsidies.tables",
        ],
        exclude_imported=True,
    ),
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
    commands=[],
)

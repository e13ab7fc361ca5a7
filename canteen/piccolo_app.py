"""The canteen's Piccolo app: its tables and its own migration history, after housing's."""

import os

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="canteen",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=table_finder(modules=["canteen.tables"], exclude_imported=True),
    migration_dependencies=["housing.piccolo_app"],
    commands=[],
)

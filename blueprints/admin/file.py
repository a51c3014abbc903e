"""Family files in the staff area: the same pages as Ma famille (blueprints/family/
file_views.py), where a staff edit applies at once and is logged."""
from blueprints.admin.blueprint import bp
from blueprints.common.family_file import FileArea

AREA = FileArea(staff=True)
AREA.register(bp, family_prefix="/familles/<int:family_id>")

"""Family files in the staff area: the same pages as Ma famille (blueprints/family/
file_views.py), where a staff edit applies at once and is logged."""
from blueprints.admin import bp
from blueprints.family.file_views import FileArea

AREA = FileArea(staff=True)
AREA.register(bp, family_prefix="/familles/<int:family_id>")

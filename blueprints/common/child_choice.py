"""A form's "which child" choice, limited to the children of the parent's own family:
another family's child is refused with a clear message (never looked up elsewhere)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import ValidationError

NOT_YOUR_CHILD = _l("Cet enfant ne fait pas partie de votre dossier famille.")


class ChildChoice:
    """Mixin for a FlaskForm with a `child` SelectField (validate_choice=False)."""

    def offer_children(self, family, none_label):
        self.children = {str(child.id): child for child in family.children}
        self.child.choices = [SelectChoice("", none_label)] + [
            SelectChoice(key, child.full_name) for key, child in self.children.items()]

    def validate_child(self, field):
        if field.data and field.data not in self.children:
            raise ValidationError(NOT_YOUR_CHILD)

    @property
    def chosen_child(self):
        return self.children.get(self.child.data or "")

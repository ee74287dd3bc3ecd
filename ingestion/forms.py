from django import forms


class DbtUploadForm(forms.Form):
    manifest = forms.FileField(label="manifest.json", help_text="Required. Written by any dbt command.")
    catalog = forms.FileField(
        label="catalog.json", required=False, help_text="Optional. Written by `dbt docs generate`: column types."
    )
    run_results = forms.FileField(
        label="run_results.json", required=False, help_text="Optional. Written by `dbt build`/`dbt test`: test results."
    )
    dbt_project = forms.FileField(
        label="dbt_project.yml",
        required=False,
        help_text="Optional. The project's settings: its dbt-project-evaluator vars become its conformance settings.",
    )
    evaluator_exceptions = forms.FileField(
        label="dbt_project_evaluator_exceptions.csv",
        required=False,
        help_text="Optional. The evaluator's exceptions seed: each row waives what it names.",
    )
    project_name = forms.CharField(
        label="Project name", required=False, max_length=100, help_text="Optional. Defaults to the dbt project's name."
    )
    dry_run = forms.BooleanField(label="Dry run (check only, store nothing)", required=False)


class DbtDiffForm(forms.Form):
    """Two artifact sets to compare, or one against what DAB stored."""

    head_manifest = forms.FileField(label="Changed manifest.json", help_text="Required: the state to review.")
    head_catalog = forms.FileField(label="Changed catalog.json", required=False)
    base_manifest = forms.FileField(
        label="Base manifest.json", required=False, help_text="Optional. Without it, the base is what DAB stored."
    )
    base_catalog = forms.FileField(label="Base catalog.json", required=False)
    source_system = forms.ChoiceField(
        label="Stored project", required=False, help_text="Optional. Defaults to the project the manifest names."
    )

    def __init__(self, *args, projects: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_system"].choices = [("", "(the manifest's project)"), *((p, p) for p in projects)]

    def clean(self):
        data = super().clean()
        if data.get("base_catalog") and not data.get("base_manifest"):
            self.add_error("base_catalog", "A base catalog needs a base manifest: the stored base has its own.")
        return data

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

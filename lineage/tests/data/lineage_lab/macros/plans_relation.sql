{#- The plans table, named by hand: dbt's depends_on does not list what a macro spells out like this. -#}
{% macro plans_relation() -%}
    "{{ target.database }}"."raw"."raw_plans"
{%- endmacro %}

{#- Run after the build, before `dbt docs generate`: the visits source then has no catalog entry. -#}
{% macro drop_visits_table() %}
    {% do run_query('drop table if exists "' ~ target.database ~ '"."raw"."raw_visits"') %}
{% endmacro %}

{#- Use a node's custom schema as-is (raw_shop, staging, marts, ...) instead of prefixing the target schema,
    so the relation names in the artifacts read like a warehouse's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

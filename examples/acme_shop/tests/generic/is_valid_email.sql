{#- Rows whose value does not look like an email address (one @, a dot in the domain, no spaces). -#}
{% test is_valid_email(model, column_name) %}

select {{ column_name }} as invalid_email
from {{ model }}
where {{ column_name }} is not null
    and not regexp_matches({{ column_name }}, '^[^@\s]+@[^@\s]+\.[a-z]{2,}$')

{% endtest %}

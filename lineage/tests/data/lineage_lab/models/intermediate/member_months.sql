{{ config(alias='member_month_rows') }}

select
    member_id,
    email,
    full_name,
    date_trunc('month', joined_on) as joined_month
from {{ ref('base_members') }}

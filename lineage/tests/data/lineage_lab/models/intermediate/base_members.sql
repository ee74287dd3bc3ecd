select
    member_id,
    lower(email) as email,
    first_name || ' ' || last_name as full_name,
    plan_code,
    cast(joined_at as date) as joined_on
from {{ source('app', 'members') }}

select
    b.member_id,
    b.full_name,
    p.plan_name,
    p.monthly_price
from {{ ref('base_members') }} as b
inner join {{ plans_relation() }} as p
    on b.plan_code = p.plan_code

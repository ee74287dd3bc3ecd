select
    m.member_id,
    m.email,
    m.joined_month
from {{ ref('member_months') }} as m
where m.joined_month >= date '2024-01-01'

select
    a.member_id,
    a.email,
    md5(a.email) as email_hash,
    a.joined_month,
    coalesce(v.visit_count, 0) as visit_count,
    v.last_visit_at
from {{ ref('active_members') }} as a
left join {{ ref('visit_counts') }} as v
    on a.member_id = v.member_id

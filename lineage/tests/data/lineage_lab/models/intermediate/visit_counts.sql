select
    member_id,
    count(*) as visit_count,
    max(visited_at) as last_visit_at,
    count(distinct ip_address) as distinct_ips
from {{ source('app', 'visits') }}
group by member_id

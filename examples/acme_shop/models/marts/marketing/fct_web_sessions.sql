with sessions as (

    select * from {{ ref('int_web_sessions') }}

)

select
    session_id,
    customer_id,
    md5(ip_address) as ip_hash,
    sha256(device_id) as device_hash,
    device_type,
    landing_page,
    started_at,
    ended_at,
    duration_seconds,
    events_count,
    page_views,
    has_purchase,
    bot_rule_hits > 0 as is_suspected_bot

from sessions

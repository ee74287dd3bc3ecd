{{ config(materialized='table') }}

with events as (

    select * from {{ ref('stg_web_events') }}

),

sessions as (

    select
        session_id,
        max(customer_id) as customer_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as events_count,
        count(*) filter (where event_type = 'page_view') as page_views,
        bool_or(event_type = 'purchase') as has_purchase,
        count(ip_rule_id) as bot_rule_hits

    from events
    group by session_id

),

first_events as (

    select
        session_id,
        device_id,
        ip_address,
        user_agent,
        page_url as landing_page

    from (
        select
            *,
            row_number() over (partition by session_id order by occurred_at, event_id) as event_number
        from events
    ) as ranked
    where event_number = 1

)

select
    s.session_id,
    s.customer_id,
    f.device_id,
    f.ip_address,
    f.user_agent,
    case
        when f.user_agent like '%iPhone%' or f.user_agent like '%Android%' then 'mobile'
        else 'desktop'
    end as device_type,
    f.landing_page,
    s.started_at,
    s.ended_at,
    date_diff('second', s.started_at, s.ended_at) as duration_seconds,
    s.events_count,
    s.page_views,
    s.has_purchase,
    s.bot_rule_hits

from sessions as s
inner join first_events as f
    on s.session_id = f.session_id

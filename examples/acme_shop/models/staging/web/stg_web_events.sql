with source as (

    select * from {{ source('web', 'web_events') }}

),

renamed as (

    select
        event_id,
        session_id,
        device_id,
        customer_id::integer as customer_id,
        event_type,
        page_url,
        ip_address,
        user_agent,
        ip_rule_id,
        occurred_at::timestamp as occurred_at

    from source

)

select * from renamed

with source as (

    select * from {{ source('support', 'support_tickets') }}

),

renamed as (

    select
        ticket_id,
        customer_id,
        cust_email,
        opened_at,
        closed_at,
        channel,
        subject,
        notes,
        agent_id,
        status as ticket_status,
        satisfaction_score

    from source

)

select * from renamed

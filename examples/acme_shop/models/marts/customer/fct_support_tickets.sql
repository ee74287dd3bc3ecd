with tickets as (

    select * from {{ source('support', 'support_tickets') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

)

select
    tickets.ticket_id,
    tickets.customer_id,
    tickets.channel,
    tickets.status as ticket_status,
    tickets.opened_at,
    tickets.closed_at,
    date_diff('hour', tickets.opened_at, tickets.closed_at) as resolution_hours,
    tickets.satisfaction_score,
    tickets.customer_id in (select customers.customer_id from customers) as is_known_customer

from tickets

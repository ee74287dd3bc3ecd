with source as (

    select * from {{ source('shop', 'payments') }}

),

renamed as (

    select
        id as payment_id,
        order_id,
        payment_method,
        card_brand,
        card_last4,
        cast(amount_cents / 100.0 as decimal(10, 2)) as amount,
        status as payment_status,
        status = 'success' as is_successful,
        created_at as paid_at

    from source

)

select * from renamed

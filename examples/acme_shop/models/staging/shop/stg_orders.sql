with source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        id as order_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        status,
        case
            when status in ('completed', 'shipped', 'returned') then true
            else false
        end as is_fulfilled,
        billing_zip,
        shipping_country_code,
        _loaded_at as loaded_at

    from source

)

select * from renamed

-- One row per day from the first to the last order date; also the time spine of the semantic layer.
with bounds as (

    select
        min(order_date) as first_day,
        max(order_date) as last_day
    from {{ ref('stg_orders') }}

),

days as (

    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date_day
    from bounds

)

select
    date_day,
    extract(year from date_day) as year_number,
    extract(month from date_day) as month_number,
    strftime(date_day, '%Y-%m') as year_month,
    date_trunc('week', date_day) as week_start_date,
    dayofweek(date_day) in (0, 6) as is_weekend

from days

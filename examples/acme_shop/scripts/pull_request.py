"""Write a copy of acme_shop as a pull request would change it: the second state of the change-report tests.

    python examples/acme_shop/scripts/pull_request.py /tmp/acme_pr
    scripts/build_sample.sh /tmp/acme_pr       # then copy /tmp/acme_pr/target/*.json (macros emptied)
                                               # into ingestion/tests/data/acme_shop_pr/

The changes, each what a real pull request does (ingestion/tests/test_changes.py asserts the report):

A. dim_customers v2 drops customer_segment, which the CRM export exposure reads (breaking, model level);
B. stg_customers renames phone to phone_number (``phone as phone_number``) and its readers follow (a rename,
   not a removal and an addition, and not breaking: every reader was adapted);
C. stg_order_items narrows quantity from integer to smallint (breaking: downstream models read it);
D. fct_orders gains the customer's email, unmasked (PII newly in a mart the sales dashboard reads);
E. customer_orders_summary becomes fct_customer_orders_summary, same file (a rename that fixes a naming
   violation);
F. the contracted fct_payments drops card_brand (the contract is broken).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def edit(path: Path, old: str, new: str, *, every: bool = False) -> None:
    text = path.read_text()
    if old not in text:
        sys.exit(f"{path}: the text to change is not there any more: {old[:60]!r}")
    path.write_text(text.replace(old, new) if every else text.replace(old, new, 1))


def main(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(PROJECT, out, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    m = out / "models"
    customer_yml = m / "marts/customer/_customer__models.yml"
    # A
    edit(
        m / "marts/customer/dim_customers_v2.sql",
        """    o.last_order_date,
    case
        when o.orders_count is null then 'prospect'
        when o.orders_count = 1 then 'new'
        when o.lifetime_value >= 500 then 'vip'
        else 'returning'
    end as customer_segment
""",
        "    o.last_order_date\n",
    )
    edit(
        customer_yml,
        """      - name: customer_segment
        description: prospect, new, returning or vip.
        data_tests:
          - accepted_values:
              arguments:
                values: ['prospect', 'new', 'returning', 'vip']
""",
        "",
    )
    edit(customer_yml, "first_order_date, last_order_date, customer_segment]", "first_order_date, last_order_date]")
    # B
    edit(m / "staging/shop/stg_customers.sql", "        phone,\n", "        phone as phone_number,\n")
    edit(
        m / "staging/shop/_shop__models.yml",
        "      - name: phone\n        description: Contact phone",
        "      - name: phone_number\n        description: Contact phone",
    )
    edit(m / "marts/customer/dim_customers_v1.sql", "    c.phone,", "    c.phone_number as phone,")
    edit(m / "marts/customer/dim_customers_v2.sql", "c.phone", "c.phone_number", every=True)
    edit(m / "marts/marketing/dim_marketing_audience.sql", "c.phone", "c.phone_number", every=True)
    # C
    edit(
        m / "staging/shop/stg_order_items.sql",
        "        quantity,\n",
        "        cast(quantity as smallint) as quantity,\n",
    )
    # D
    edit(
        m / "marts/sales/fct_orders.sql",
        """)

select
    order_id,
    customer_id,""",
        """),

customers as (

    select * from {{ ref('stg_customers') }}

)

select
    orders.order_id,
    orders.customer_id,
    customers.email as customer_email,""",
    )
    edit(
        m / "marts/sales/fct_orders.sql",
        "from orders\n",
        "from orders\nleft join customers\n    on orders.customer_id = customers.customer_id\n",
    )
    # E
    (m / "marts/customer/customer_orders_summary.sql").rename(m / "marts/customer/fct_customer_orders_summary.sql")
    edit(customer_yml, "  - name: customer_orders_summary\n", "  - name: fct_customer_orders_summary\n")
    # F
    edit(m / "marts/finance/fct_payments.sql", "    p.card_brand,\n", "")
    edit(
        m / "marts/finance/_finance__models.yml",
        """      - name: card_brand
        description: Card network for card payments.
        data_type: varchar
""",
        "",
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

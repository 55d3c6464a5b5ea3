"""Local stand-ins for the samples' Lambda functions, run by stepdbg as Lambda runs them.

Route functions to them with --function or a stepdbg.toml, for example:

    stepdbg run samples/lambda-invoke.asl.json --mock-config /dev/null \
        --function '*price-quote*=handler:samples/functions/handlers.py:price_quote'
"""

PRICES = {"KB-101": 64.5, "MS-220": 55.5}


def price_quote(event, context):
    lines = [
        {"sku": i["sku"], "qty": i["qty"], "amount": PRICES.get(i["sku"], 10.0) * i["qty"]}
        for i in event.get("items", [])
    ]
    print(f"pricing {len(lines)} lines for {event.get('customerId')}")
    return {
        "total": sum(l["amount"] for l in lines),
        "currency": event.get("currency", "USD"),
        "lines": lines,
        "validUntil": "2024-06-03T14:37:07Z",
    }


def send_welcome_email(event, context):
    print(f"welcome mail to {event.get('email')}")
    return {"queued": True}


def resize_image(event, context):
    key = event["key"].rsplit(".", 1)[0]
    return {"bucket": event["bucket"], "key": f"thumbnails/{key}-256.png", "width": 256, "height": 256}


def charge_card(event, context):
    return {"chargeId": "ch_local_" + context.aws_request_id[:8], "status": "succeeded",
            "amount": event.get("amount"), "currency": event.get("currency")}


def loyalty_tier(event, context):
    return {"customerId": event.get("customerId"), "tier": "SILVER", "points": 4200}


def credit_check(event, context):
    return {"customerId": event.get("customerId"), "creditLimit": 2500, "riskScore": 30}


def reserve_stock(event, context):
    return {"reservationId": "RSV-LOCAL", "allReserved": True, "warehouse": "LOCAL-1", "batches": 1}


def send_order_email(event, context):
    return {"messageId": "local-message", "status": "SENT"}

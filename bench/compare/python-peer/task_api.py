# The "Producer: FastAPI with Correlation ID" service of spec/agent-event-patterns.md, as written there,
# plus one variant for a fair comparison. Three changes to the spec's text, each marked "bench:":
#   - the topic comes from TASK_TOPIC (default 'task-events'), so each system in the benchmark writes to
#     its own topic;
#   - CONFIRM_DELIVERY=1 makes POST /tasks answer only once the broker has acknowledged the event
#     (acks=all), as our api does. The spec's own handler answers right after producer.produce(), before
#     the broker has confirmed anything;
#   - the lifespan is also set on the router, which Debian 12's FastAPI 0.92 needs (see below).
# Run: KAFKA_BOOTSTRAP_SERVERS=... /usr/bin/python3 -m uvicorn task_api:app --port 8000
import asyncio
import json
import threading
import uuid
import os
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from confluent_kafka import Producer
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

TASK_TOPIC = os.environ.get('TASK_TOPIC', 'task-events')  # bench: was the literal 'task-events'
CONFIRM_DELIVERY = os.environ.get('CONFIRM_DELIVERY') == '1'  # bench

producer: Producer = None

def delivery_callback(err, msg):
    if err:
        print(f"Delivery failed: {err}")
    else:
        print(f"Delivered to {msg.topic()}[{msg.partition()}]")

# bench: with CONFIRM_DELIVERY one thread serves delivery reports for every request, so concurrent
# requests share the producer's batches, and the event loop never blocks on the broker.
_polling = threading.Event()

def _poll_deliveries():
    while _polling.is_set():
        producer.poll(0.05)

@asynccontextmanager
async def lifespan(app: FastAPI):
    global producer
    producer = Producer({
        'bootstrap.servers': os.environ.get(
            'KAFKA_BOOTSTRAP_SERVERS', 'localhost:30092'
        ),
        'client.id': 'task-api',
        'acks': 'all',
        'enable.idempotence': True
    })
    poller = None
    if CONFIRM_DELIVERY:  # bench
        _polling.set()
        poller = threading.Thread(target=_poll_deliveries, name='delivery-reports', daemon=True)
        poller.start()
    yield
    if poller is not None:  # bench
        _polling.clear()
        poller.join()
    producer.flush()

app = FastAPI(lifespan=lifespan)
# bench: Debian 12's FastAPI 0.92 predates FastAPI(lifespan=...) (0.93) and silently ignores the argument, so
# the producer would stay None; Starlette 0.26 under it takes the same lifespan on the router.
app.router.lifespan_context = lifespan

class TaskCreate(BaseModel):
    title: str
    owner_id: str
    priority: int = 1

def publish_event(
    event_type: str,
    data: dict,
    correlation_id: str,
    causation_id: str
):
    """Publish domain event with tracing metadata."""
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "data": data,
        "metadata": {
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "source": "task-api"
        }
    }
    producer.produce(
        topic=TASK_TOPIC,
        key=data.get('task_id', str(uuid.uuid4())),
        value=json.dumps(event),
        callback=delivery_callback
    )
    producer.poll(0)

# bench: the same event, but the coroutine resumes only when its delivery report arrives.
async def publish_event_confirmed(
    event_type: str,
    data: dict,
    correlation_id: str,
    causation_id: str
):
    loop = asyncio.get_running_loop()
    delivered = loop.create_future()

    def settle(err, msg):
        if not delivered.done():
            delivered.set_result(err)

    def on_delivery(err, msg):
        delivery_callback(err, msg)
        loop.call_soon_threadsafe(settle, err, msg)

    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "data": data,
        "metadata": {
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "source": "task-api"
        }
    }
    producer.produce(
        topic=TASK_TOPIC,
        key=data.get('task_id', str(uuid.uuid4())),
        value=json.dumps(event),
        callback=on_delivery
    )
    return await delivered

@app.post("/tasks")
async def create_task(task: TaskCreate, request: Request):
    # Extract or generate correlation ID
    correlation_id = request.headers.get(
        'X-Correlation-ID', str(uuid.uuid4())
    )
    task_id = str(uuid.uuid4())

    task_data = {
        "task_id": task_id,
        "title": task.title,
        "owner_id": task.owner_id,
        "priority": task.priority
    }

    if CONFIRM_DELIVERY:  # bench
        err = await publish_event_confirmed(
            event_type="task.created",
            data=task_data,
            correlation_id=correlation_id,
            causation_id=f"api-create-{task_id}"
        )
        if err is not None:
            return JSONResponse({"error": str(err)}, status_code=503)
        return {"id": task_id, "status": "created"}

    publish_event(
        event_type="task.created",
        data=task_data,
        correlation_id=correlation_id,
        causation_id=f"api-create-{task_id}"
    )

    return {"id": task_id, "status": "created"}

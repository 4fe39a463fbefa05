# The spec's consumer loop, as its notification agent is written (spec/agent-event-patterns.md): poll one
# message, handle it, commit it, then the next. The handler sleeps HANDLER_MS, as the worker benchmark's
# handler does. It prints one line per handled message ("done <task_id> <monotonic ms>") for the benchmark.
import json
import os
import sys
import time
from confluent_kafka import Consumer, KafkaError

consumer = Consumer({
    'bootstrap.servers': os.environ.get('KAFKA_BOOTSTRAP_SERVERS', 'localhost:30092'),
    'group.id': os.environ.get('GROUP_ID', 'serial-peer'),
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False
})
consumer.subscribe([os.environ.get('TOPIC', 'agent-tasks')])
handler_s = int(os.environ.get('HANDLER_MS', '100')) / 1000

try:
    while True:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            continue
        event = json.loads(msg.value().decode())
        time.sleep(handler_s)  # the handler: a call that takes HANDLER_MS
        consumer.commit(message=msg)
        print(f"done {event.get('data', {}).get('task_id')} {time.monotonic() * 1000:.1f}", flush=True)
finally:
    consumer.close()

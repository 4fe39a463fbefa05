# The "Consumer: Audit Agent" of spec/agent-event-patterns.md, as written there: every event is appended
# with open-append-close (no fsync) and its offset committed one by one. Changes, marked "bench:": the log
# directory, the group id and the topic come from the environment (defaults are the spec's), so the
# benchmark can point the log at a temporary directory and keep its group apart from our audit agent's.
# Run: KAFKA_BOOTSTRAP_SERVERS=... AUDIT_LOG_DIR=/tmp/x /usr/bin/python3 audit_agent.py
import json
import os
from datetime import datetime
from confluent_kafka import Consumer, KafkaError

class AuditLogger:
    """Append-only audit log for compliance."""

    def __init__(self, log_dir: str = "/var/log/audit"):
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)

    def append(self, event: dict):
        """Append event to immutable log."""
        date_str = datetime.utcnow().strftime("%Y-%m-%d")
        log_file = os.path.join(self.log_dir, f"audit-{date_str}.jsonl")

        log_entry = {
            "logged_at": datetime.utcnow().isoformat() + "Z",
            "event": event
        }

        with open(log_file, 'a') as f:
            f.write(json.dumps(log_entry) + '\n')

def run_audit_agent():
    consumer = Consumer({
        'bootstrap.servers': os.environ.get(
            'KAFKA_BOOTSTRAP_SERVERS', 'localhost:30092'
        ),
        'group.id': os.environ.get('AUDIT_GROUP_ID', 'audit-log'),  # bench: was the literal 'audit-log'
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False
    })
    consumer.subscribe([os.environ.get('AUDIT_TOPIC', 'task-events')])  # bench: was ['task-events']
    audit = AuditLogger(os.environ.get('AUDIT_LOG_DIR', '/var/log/audit'))  # bench: was AuditLogger()

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
            audit.append(event)
            consumer.commit(message=msg)
    finally:
        consumer.close()

if __name__ == '__main__':  # bench: the spec defines run_audit_agent() without a caller
    run_audit_agent()

"""orders-backlog: max.poll.records raised to 2000 makes each poll batch outlast max.poll.interval.ms.

A config deploy of order-events-consumer 65m ago raised max.poll.records from 100 to
2000 for throughput. While lag was near zero, polls returned few records. A flash-sale
burst 55m ago filled the batches: 2000 records x ~200ms (warehouse-api call each) ≈ 6-7
minutes > max.poll.interval.ms (5m). The member is kicked out, its commit fails, the
group rebalances, the partitions' batch is re-processed elsewhere (duplicate pick
lists), and the same happens again: a rebalance storm, lag only grows. Red herrings:
the warehouse-api v9.1.0 deploy and a short ISR shrink on a Kafka broker.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("orders-backlog", seed=55)
F = g.folder
F.mkdir(exist_ok=True)
CFG, BURST, ISR = 65 * 60, 55 * 60, 50 * 60
CON = ["order-events-consumer-6h2kx", "order-events-consumer-9w4qd", "order-events-consumer-t1m7p"]
OLD_CON = ["order-events-consumer-b3r8n", "order-events-consumer-f5z2c", "order-events-consumer-q7j4v"]
WH = ["warehouse-api-2c6nv", "warehouse-api-k8d3s", "warehouse-api-x5p9h"]
LBL = ["shipping-label-service-h4q2w", "shipping-label-service-r9n6t"]
for i, h in enumerate(CON):
    g.pod(h, [CFG - 20 * i])
for i, h in enumerate(WH):
    g.pod(h, [2 * 3600 - 30 * i], fmt="json")
for h in LBL:
    g.pod(h, [11 * 86400], fmt="logfmt")
for i in range(3):
    g.pod(f"kafka-{i}", [30 * 86400])
CID = {h: f"consumer-fulfilment-orders-{i + 1}" for i, h in enumerate(CON + OLD_CON)}
pre = lambda h: f"[Consumer clientId={CID[h]}, groupId=fulfilment-orders]"

# --- start-up: the new config ------------------------------------------------------------------------
for i, h in enumerate(CON):
    t = CFG - 20 * i
    g.log(t, "order-events-consumer", "INFO", h, "order-events-consumer v3.4.1 starting (config rev 22)", comp="main")
    g.log(t - 1, "order-events-consumer", "INFO", h, "ConsumerConfig values: bootstrap.servers = [kafka-0.kafka:9092, kafka-1.kafka:9092, kafka-2.kafka:9092] "
          "enable.auto.commit = false group.id = fulfilment-orders max.poll.interval.ms = 300000 max.poll.records = 2000 session.timeout.ms = 45000",
          comp="o.a.k.clients.consumer.ConsumerConfig")
    g.log(t - 4, "order-events-consumer", "INFO", h, f"{pre(h)} Successfully joined group with generation Generation{{generationId={398 + i}, memberId='{CID[h]}-{g.hexid(8)}', protocol='cooperative-sticky'}}",
          comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
for h in OLD_CON:
    g.log(CFG - 20 * OLD_CON.index(h) - 2, "order-events-consumer", "INFO", h, f"{pre(h)} Member consumer pro-actively leaving the group (shutdown)", comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")


def cons(t):
    return [h for i, h in enumerate(CON) if t <= CFG - 20 * i] or OLD_CON


# --- processing before the burst: small batches, fine ---------------------------------------------
for t in g.poisson(7200, BURST, 1.6):
    h = g.pick(cons(t))
    n = g.rng.randint(3, 40) if h in CON else g.rng.randint(3, 60)
    g.log(t, "order-events-consumer", "INFO", h, f"processed batch of {n} records from orders.placed in {n * g.rng.randint(180, 230) // 1}ms; committed", comp="BatchProcessor")
# --- the storm: 2000-record batches outlast max.poll.interval.ms ------------------------------------
gen = 404
t = BURST
cycle = 0
while t > 60:
    gen += 1
    cycle += 1
    h = CON[cycle % 3]
    parts = sorted(g.rng.sample(range(12), 4))
    g.log(t, "order-events-consumer", "INFO", h, f"{pre(h)} Notifying assignor about the new Assignment(partitions=[{', '.join(f'orders.placed-{p}' for p in parts)}])",
          comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
    g.log(t - 2, "order-events-consumer", "INFO", h, f"polled 2000 records from orders.placed (partitions {parts}); processing", comp="BatchProcessor")
    for k in range(1, 4):
        g.log(t - 2 - 110 * k, "order-events-consumer", "INFO", h, f"batch progress {k * 520}/2000 records ({g.rng.randint(190, 230)}ms/record avg, warehouse-api pick-list calls)", comp="BatchProcessor")
    expire = t - 2 - 300
    g.log(expire, "order-events-consumer", "WARN", h, f"{pre(h)} consumer poll timeout has expired. This means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms, "
          "which typically implies that the poll loop is spending too much time processing messages. You can address this either by increasing max.poll.interval.ms or by reducing the maximum size of batches returned in poll() with max.poll.records.",
          comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
    g.log(expire - 1, "order-events-consumer", "INFO", h, f"{pre(h)} Member {CID[h]} sending LeaveGroup request to coordinator kafka-1.kafka:9092 due to consumer poll timeout has expired.",
          comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
    done = expire - 2 - g.rng.randint(60, 110)
    g.log(done, "order-events-consumer", "ERROR", h, "org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the group has already rebalanced and assigned the partitions to another member. "
          "This means that the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms",
          comp="BatchProcessor", cont=["\tat org.apache.kafka.clients.consumer.internals.ConsumerCoordinator.sendOffsetCommitRequest(ConsumerCoordinator.java:1351)",
                                       "\tat org.apache.kafka.clients.consumer.KafkaConsumer.commitSync(KafkaConsumer.java:1532)",
                                       "\tat com.shop.fulfilment.BatchProcessor.commit(BatchProcessor.java:118)"])
    g.log(done - 1, "order-events-consumer", "WARN", h, "batch of 2000 records processed but not committed; it will be redelivered", comp="BatchProcessor")
    other = CON[(cycle + 1) % 3]
    g.log(expire - 3, "order-events-consumer", "INFO", other, f"{pre(other)} Request joining group due to: group is already rebalancing", comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
    g.log(expire - 5, "order-events-consumer", "INFO", other, f"{pre(other)} Successfully joined group with generation Generation{{generationId={gen}, memberId='{CID[other]}-{g.hexid(8)}', protocol='cooperative-sticky'}}",
          comp="o.a.k.clients.consumer.internals.ConsumerCoordinator")
    t -= g.rng.randint(150, 230)
# pick-list duplicates: the re-processed batches hit warehouse-api again
for t in g.poisson(BURST - 420, 0, 0.5):
    g.log(t, "warehouse-api", "WARN", g.pick(WH), f"duplicate pick list request for order ord_{g.hexid(10)} (idempotency key seen {g.rng.randint(2, 6)}x); returning existing pick list", comp="picklists")
lag = 0
for t in range(7200 - 40, 0, -300):
    if t > BURST:
        lag = g.rng.randint(0, 180)
        msg, lvl = f"lag monitor: group fulfilment-orders total lag {lag:,} (12 partitions), rebalances last 5m: 0", "INFO"
    else:
        lag = int(5200 + (BURST - t) * 13.5 + g.rng.randint(-400, 400))
        msg, lvl = f"lag monitor: group fulfilment-orders total lag {lag:,} (12 partitions), rebalances last 5m: {g.rng.randint(2, 4)}", "WARN"
    g.log(t, "order-events-consumer", lvl, CON[0] if t <= CFG else OLD_CON[0], msg, comp="LagMonitor")

# --- warehouse-api and labels: healthy -------------------------------------------------------------------
for i, h in enumerate(WH):
    g.log(2 * 3600 - 30 * i, "warehouse-api", "INFO", h, "warehouse-api v9.1.0 listening on :8080 (pick-list batching enabled)", comp="main")
for t in g.poisson(7200, 0, 1.4):
    g.log(t, "warehouse-api", "INFO", g.pick(WH), f"POST /pick-lists 201 order=ord_{g.hexid(10)} lines={g.rng.randint(1, 6)}", duration_ms=g.rng.randint(140, 260), comp="http")
for t in g.poisson(7200, 0, 0.5):
    g.log(t, "shipping-label-service", "INFO", g.pick(LBL), f"label created for shipment shp_{g.hexid(8)} carrier={g.pick(['dhl', 'ups', 'postnl'])}", duration_ms=g.rng.randint(80, 300), comp="labels")
for t in (5000, 1800):
    g.log(t, "shipping-label-service", "WARN", g.pick(LBL), "carrier ups sandbox certificate expires in 21 days", comp="carriers")

# --- kafka brokers (pod logs only) -----------------------------------------------------------------------
for t in range(7200 - 75, 0, -900):
    for i in range(3):
        g.log(t - i, "kafka", "INFO", f"kafka-{i}", f"[LogCleaner] Log cleaner thread 0 cleaned log __consumer_offsets-{g.rng.randint(0, 49)} (dirty section = [0, {g.rng.randint(1000, 9000)}])", comp="LogCleaner", table=False)
g.log(ISR, "kafka", "INFO", "kafka-1", "[Partition orders.placed-7 broker=1] Shrinking ISR from 1,2,0 to 1,0. Leader: (highWatermark: 1839211, endOffset: 1839544). Out of sync replicas: (brokerId: 2, endOffset: 1839201).",
      comp="Partition", table=False)
g.log(ISR - 22, "kafka", "INFO", "kafka-1", "[Partition orders.placed-7 broker=1] ISR updated to 1,2,0 and version updated to 88", comp="Partition", table=False)
for t in range(BURST, 0, -420):
    g.log(t - 5, "kafka", "INFO", "kafka-1", f"[GroupCoordinator 1]: Preparing to rebalance group fulfilment-orders in state PreparingRebalance with old generation {404 + (BURST - t) // 200} (__consumer_offsets-17) "
          "(reason: Removing member consumer-fulfilment-orders-2 on LeaveGroup; client reason: consumer poll timeout has expired.)", comp="GroupCoordinator", table=False)
g.write()

# --- kubernetes objects ---------------------------------------------------------------------------------------
pods = []
for i, h in enumerate(CON):
    st = rel(CFG - 20 * i)
    pods.append(pod(h, "fulfilment", "order-events-consumer", f"worker-6{i}", st, f"10.130.{i}.{20 + i}",
                    [container("consumer", "registry.corp.example/fulfilment/order-events-consumer:v3.4.1", started=st,
                               requests={"cpu": "500m", "memory": "768Mi"}, limits={"cpu": "1", "memory": "1536Mi"},
                               env={"KAFKA_BOOTSTRAP": "kafka-0.kafka:9092,kafka-1.kafka:9092,kafka-2.kafka:9092", "KAFKA_GROUP_ID": "fulfilment-orders",
                                    "KAFKA_MAX_POLL_RECORDS": "2000", "KAFKA_MAX_POLL_INTERVAL_MS": "300000", "WAREHOUSE_API": "http://warehouse-api:8080"},
                               liveness={"http": "/health/liveness", "port": 8081, "delay": 30, "period": 10})],
                    usage={"cpu": f"{g.rng.randint(120, 260)}m", "memory": f"{g.rng.randint(900, 1100)}Mi"}))
for i, h in enumerate(WH):
    st = rel(2 * 3600 - 30 * i)
    pods.append(pod(h, "fulfilment", "warehouse-api", f"worker-6{(i + 1) % 3}", st, f"10.130.{i}.{40 + i}",
                    [container("api", "registry.corp.example/fulfilment/warehouse-api:v9.1.0", started=st, ports=[8080],
                               requests={"cpu": "300m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"},
                               readiness={"http": "/ready", "port": 8080, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(150, 240)}m", "memory": f"{g.rng.randint(380, 450)}Mi"}))
for i, h in enumerate(LBL):
    pods.append(pod(h, "fulfilment", "shipping-label-service", f"worker-6{(i + 2) % 3}", "-11d", f"10.130.{i}.{60 + i}",
                    [container("labels", "registry.corp.example/fulfilment/shipping-label-service:v4.0.2", started="-11d", ports=[8080],
                               requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "512Mi"})],
                    usage={"cpu": "40m", "memory": "200Mi"}))
for i in range(3):
    pods.append(pod(f"kafka-{i}", "kafka", "kafka", f"worker-6{i}", "-30d", f"10.130.9.{10 + i}",
                    [container("kafka", "apache/kafka:3.7.1", started="-30d", ports=[9092, 9093],
                               requests={"cpu": "1", "memory": "6Gi"}, limits={"cpu": "2", "memory": "6Gi"},
                               env={"KAFKA_NODE_ID": str(i), "KAFKA_PROCESS_ROLES": "broker,controller"},
                               readiness={"tcp": 9092, "period": 10})],
                    usage={"cpu": "450m", "memory": "4.8Gi"}))
pods.append(pod("kafka-exporter-m3x7b", "kafka", "kafka-exporter", "worker-61", "-30d", "10.130.9.20",
                [container("kafka-exporter", "danielqsj/kafka-exporter:v1.7.0", started="-30d", ports=[9308])], usage={"cpu": "10m", "memory": "30Mi"}))
write_yaml(F, "pods.yaml", pods, "# all Running and Ready; the consumer pods are 65m old (config rollout)")
deps = [
    {"name": "order-events-consumer", "namespace": "fulfilment", "service": "order-events-consumer", "container": "consumer", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/fulfilment/order-events-consumer:v3.4.1", "created": "-500d", "revision": 44},
    {"name": "warehouse-api", "namespace": "fulfilment", "service": "warehouse-api", "container": "api", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/fulfilment/warehouse-api:v9.1.0", "created": "-700d", "revision": 120},
    {"name": "shipping-label-service", "namespace": "fulfilment", "service": "shipping-label-service", "container": "labels", "replicas": 2, "ready": 2,
     "image": "registry.corp.example/fulfilment/shipping-label-service:v4.0.2", "created": "-700d", "revision": 38},
    {"name": "kafka-exporter", "namespace": "kafka", "service": "kafka-exporter", "replicas": 1, "ready": 1,
     "image": "danielqsj/kafka-exporter:v1.7.0", "created": "-300d", "revision": 2},
]
write_yaml(F, "deployments.yaml", deps)
events = [
    {"namespace": "fulfilment", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/order-events-consumer", "source": "deployment-controller",
     "message": "Scaled up replica set order-events-consumer-74c8d9f6b5 to 3 from 2", "at": rel(CFG - 40), "first": rel(CFG)},
    {"namespace": "fulfilment", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/order-events-consumer", "source": "deployment-controller",
     "message": "Scaled down replica set order-events-consumer-5b9f7c6d43 to 0 from 1", "at": rel(CFG - 55)},
    {"namespace": "fulfilment", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/warehouse-api", "source": "deployment-controller",
     "message": "Scaled up replica set warehouse-api-6d8c5b7f92 to 3 from 2", "at": rel(2 * 3600 - 60), "first": rel(2 * 3600)},
    {"namespace": "fulfilment", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/warehouse-api", "source": "horizontal-pod-autoscaler",
     "message": "New size: 3; reason: All metrics below target", "at": "-40m"},
    {"namespace": "kafka", "type": "Normal", "reason": "Pulled", "object": "pod/kafka-exporter-m3x7b", "message": "Container image \"danielqsj/kafka-exporter:v1.7.0\" already present on machine", "at": "-30d"},
]
write_yaml(F, "events.yaml", events)

"""Times the emulator's read answers on 5,000 keyword-like items: a 1,000-item
index query page, a 100-key BatchGetItem, and puts.

    .venv/bin/python xtask/emulator/read_bench.py [plain|json] [port]

`plain` runs moto's own answers (IGNY8_EMULATOR_PLAIN_READS=1) for comparison.
"""
import boto3, subprocess, time, sys, os, socket
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "moto_server.py")
mode = sys.argv[1] if len(sys.argv) > 1 else "json"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 45999
env = dict(os.environ, IGNY8_EMULATOR_PLAIN_READS="1" if mode == "plain" else "0")
srv = subprocess.Popen([sys.executable, SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
for _ in range(100):
    try: socket.create_connection(("127.0.0.1", port), 0.2).close(); break
    except OSError: time.sleep(0.1)
d = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
d.create_table(TableName="t", KeySchema=[{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}],
  AttributeDefinitions=[{"AttributeName":a,"AttributeType":"S"} for a in ("PK","SK","GSI2PK","GSI2SK")],
  GlobalSecondaryIndexes=[{"IndexName":"GSI2","KeySchema":[{"AttributeName":"GSI2PK","KeyType":"HASH"},{"AttributeName":"GSI2SK","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
  BillingMode="PAY_PER_REQUEST")
def item(i):
    return {"PK":{"S":"ACC#1#SITE#1"},"SK":{"S":f"KW#{i:06d}"},"GSI2PK":{"S":"SEC#1"},"GSI2SK":{"S":f"{i:06d}"},"entity":{"S":"Keyword"},
            "keyword":{"S":f"travel budget family ideas {i}"},"volume":{"N":str(i%900)},"difficulty":{"N":str(i%100)},"status":{"S":"new"},
            "intent":{"S":"informational"},"created_at":{"S":"2026-12-02T10:00:00Z"},"updated_at":{"S":"2026-12-02T10:00:00Z"},"version":{"N":"1"},
            "tags":{"L":[{"S":"a"},{"S":"b"}]},"source":{"M":{"format":{"S":"semrush"},"row":{"N":str(i)}}}}
for s in range(0, 5000, 25):
    d.batch_write_item(RequestItems={"t":[{"PutRequest":{"Item":item(i)}} for i in range(s, s+25)]})
t=time.time()
for _ in range(5): r=d.query(TableName="t", IndexName="GSI2", KeyConditionExpression="GSI2PK = :p", ExpressionAttributeValues={":p":{"S":"SEC#1"}}, Limit=1000)
q=(time.time()-t)/5
t=time.time()
for _ in range(5): g=d.batch_get_item(RequestItems={"t":{"Keys":[{"PK":{"S":"ACC#1#SITE#1"},"SK":{"S":f"KW#{i:06d}"}} for i in range(100)]}})
b=(time.time()-t)/5
t=time.time()
for s in range(5000, 6000, 25):
    d.batch_write_item(RequestItems={"t":[{"PutRequest":{"Item":item(i)}} for i in range(s, s+25)]})
w=(time.time()-t)/1000
print(f"{mode}: query 1000 items {q*1000:.0f} ms; batch_get 100 {b*1000:.0f} ms; put per item {w*1e6:.0f} us; items={r['Count']} first={r['Items'][0]['keyword']} bg={len(g['Responses']['t'])}")
srv.terminate()

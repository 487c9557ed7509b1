"""Checks that the emulator's JSON read answers (xtask/moto_server.py) parse
to exactly what moto's own answers parse to, in boto3, for every attribute
type, projections, COUNT, consumed capacity, missing items and errors.

    .venv/bin/python xtask/emulator/compare_answers.py
"""
import boto3, subprocess, time, socket, json, sys, os
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "moto_server.py")
def start(plain, port):
    env = dict(os.environ, IGNY8_EMULATOR_PLAIN_READS="1" if plain else "0")
    p = subprocess.Popen([sys.executable, SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(100):
        try: socket.create_connection(("127.0.0.1", port), 0.2).close(); break
        except OSError: time.sleep(0.1)
    return p
out = []
for plain, port in ((True, 45990), (False, 45991)):
    p = start(plain, port)
    d = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    d.create_table(TableName="t", KeySchema=[{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}],
      AttributeDefinitions=[{"AttributeName":a,"AttributeType":"S"} for a in ("PK","SK","G","GS")],
      GlobalSecondaryIndexes=[{"IndexName":"GSI","KeySchema":[{"AttributeName":"G","KeyType":"HASH"},{"AttributeName":"GS","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["n","m"]}}],
      BillingMode="PAY_PER_REQUEST")
    item = {"PK":{"S":"p"},"SK":{"S":"s1"},"G":{"S":"g"},"GS":{"S":"1"},"n":{"N":"12.50"},"b":{"B":b"\x00\x01binary"},"bs":{"BS":[b"x", b"y"]},
            "ss":{"SS":["a","b"]},"ns":{"NS":["1","2.5"]},"l":{"L":[{"S":"a"},{"N":"1"},{"M":{"k":{"BOOL":True}}},{"NULL":True}]},
            "m":{"M":{"deep":{"L":[{"B":b"\xff"}]},"s":{"S":"ü€"}}},"bo":{"BOOL":False},"nu":{"NULL":True}}
    d.put_item(TableName="t", Item=item)
    d.put_item(TableName="t", Item={**item, "SK":{"S":"s2"}, "GS":{"S":"2"}})
    r = {
      "get": d.get_item(TableName="t", Key={"PK":{"S":"p"},"SK":{"S":"s1"}}, ReturnConsumedCapacity="TOTAL"),
      "get_missing": d.get_item(TableName="t", Key={"PK":{"S":"p"},"SK":{"S":"nope"}}),
      "get_proj": d.get_item(TableName="t", Key={"PK":{"S":"p"},"SK":{"S":"s1"}}, ProjectionExpression="m.deep, n"),
      "bget": d.batch_get_item(RequestItems={"t":{"Keys":[{"PK":{"S":"p"},"SK":{"S":"s1"}},{"PK":{"S":"p"},"SK":{"S":"zz"}}]}}),
      "q": d.query(TableName="t", KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p":{"S":"p"}}, Limit=1, ReturnConsumedCapacity="INDEXES"),
      "qi": d.query(TableName="t", IndexName="GSI", KeyConditionExpression="G = :p", ExpressionAttributeValues={":p":{"S":"g"}}),
      "qc": d.query(TableName="t", KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p":{"S":"p"}}, Select="COUNT"),
      "scan": d.scan(TableName="t", Limit=1),
      "scanf": d.scan(TableName="t", FilterExpression="GS = :v", ExpressionAttributeValues={":v":{"S":"2"}}),
    }
    for v in r.values(): v.pop("ResponseMetadata", None)
    out.append(r)
    try:
        d.get_item(TableName="nope", Key={"PK":{"S":"p"},"SK":{"S":"s1"}})
    except Exception as e:
        out[-1]["err"] = type(e).__name__ + str(e)[:80]
    p.terminate()
a, b = out
same = True
for k in a:
    if a[k] != b[k]:
        same = False
        print("DIFF", k, "\n base:", a[k], "\n fast:", b[k])
print("identical" if same else "differences")
sys.exit(0 if same else 1)

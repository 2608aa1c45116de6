"""The pymacaroons side of test/macaroon/interop-libraries.test.ts (Debian's python3-pymacaroons).

  pymacaroons_side.py mint           prints {"v1": [M, D1, D2], "json-v1": [...], "v2": [...],
                                     "json-v2": [...]}: a V1 and a V2 macaroon with their two bound
                                     discharges, binary in base64 and JSON text (the same macaroons)
  pymacaroons_side.py check M D1 D2 [-- M D1 D2]...
                                     reads a macaroon and two discharges (base64 binary, or JSON text)
                                     and prints {identifier_hex, signature_hex, third_party:
                                     [{location_hex, id_hex}], verified, error}, one line per group

The macaroon: root key "root-key", location "", identifier "", caveats "" (an empty first-party id),
"org = acme", a third-party caveat at "" (key "caveat-key-1", id ""), and one at
"https://auth.example" (key "caveat-key-2", id "tp-2").
"""
import binascii
import json
import sys

from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon, Verifier
from pymacaroons.serializers import JsonSerializer


def mint(version):
    m = Macaroon(location='', identifier='', key='root-key', version=version)
    m.add_first_party_caveat('')
    m.add_first_party_caveat('org = acme')
    m.add_third_party_caveat('', 'caveat-key-1', '')
    m.add_third_party_caveat('https://auth.example', 'caveat-key-2', 'tp-2')
    out = [m]
    for key, ident in (('caveat-key-1', ''), ('caveat-key-2', 'tp-2')):
        d = Macaroon(location='', identifier=ident, key=key, version=version)
        out.append(m.prepare_for_request(d))
    return out


def decode(text):
    if text.startswith('{'):
        return Macaroon.deserialize(text, serializer=JsonSerializer())
    return Macaroon.deserialize(text)


def hexof(value):
    if value is None:  # pymacaroons reads a JSON caveat without "i" as None
        value = b''
    if isinstance(value, str):
        value = value.encode('utf-8')
    return binascii.hexlify(value).decode('ascii')


def check(args):
    try:
        ms = [decode(a) for a in args]
    except Exception as e:  # noqa: BLE001 - the test reads the message
        return {'third_party': [], 'verified': False, 'error': 'decode: %s' % e}
    m = ms[0]
    report = {
        'identifier_hex': hexof(m.identifier_bytes),
        'signature_hex': m.signature,
        'third_party': [
            {'location_hex': hexof(c.location), 'id_hex': hexof(c.caveat_id_bytes)}
            for c in m.third_party_caveats()
        ],
    }
    v = Verifier()
    v.satisfy_exact('')
    v.satisfy_exact('org = acme')
    try:
        report['verified'] = bool(v.verify(m, 'root-key', ms[1:]))
        report['error'] = None
    except Exception as e:  # noqa: BLE001
        report['verified'] = False
        report['error'] = str(e)
    return report


def main():
    if sys.argv[1:] == ['mint']:
        out = {}
        for name, version in (('v1', MACAROON_V1), ('v2', MACAROON_V2)):
            ms = mint(version)
            out[name] = [m.serialize() for m in ms]
            out['json-' + name] = [m.serialize(serializer=JsonSerializer()) for m in ms]
        print(json.dumps(out))
    elif len(sys.argv) >= 3 and sys.argv[1] == 'check':
        group = []
        for arg in sys.argv[2:] + ['--']:
            if arg != '--':
                group.append(arg)
                continue
            print(json.dumps(check(group)))
            group = []
    else:
        sys.stderr.write('usage: pymacaroons_side.py mint | check M D...\n')
        sys.exit(2)


main()

// The go-macaroon (gopkg.in/macaroon.v2) side of test/macaroon/interop-libraries.test.ts, built with
// GO111MODULE=off against Debian's golang-gopkg-macaroon.v2-dev at test time.
//
//	gomacaroon mint          prints {"v1": [M, D1, D2], "json-v1": […], "v2": […], "json-v2": […]}:
//	                         a V1 and a V2 macaroon with their two bound discharges, binary in base64
//	                         and JSON text (the JSON entries are the same macaroons as the binary ones)
//	gomacaroon check M D1 D2 [-- M D1 D2]…
//	                         reads a macaroon and two discharges (base64 binary, or JSON text) and prints
//	                         {identifier_hex, signature_hex, third_party: [{location_hex, id_hex}],
//	                         verified, error}, one line per group
//
// The macaroon: root key "root-key", location "", identifier "", caveats "" (an empty first-party id),
// "org = acme", a third-party caveat at "" (key "caveat-key-1", id ""), and one at
// "https://auth.example" (key "caveat-key-2", id "tp-2").
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/macaroon.v2"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func mint(version macaroon.Version) []*macaroon.Macaroon {
	m, err := macaroon.New([]byte("root-key"), []byte(""), "", version)
	must(err)
	must(m.AddFirstPartyCaveat([]byte("")))
	must(m.AddFirstPartyCaveat([]byte("org = acme")))
	must(m.AddThirdPartyCaveat([]byte("caveat-key-1"), []byte(""), ""))
	must(m.AddThirdPartyCaveat([]byte("caveat-key-2"), []byte("tp-2"), "https://auth.example"))
	out := []*macaroon.Macaroon{m}
	for _, d := range [][2]string{{"caveat-key-1", ""}, {"caveat-key-2", "tp-2"}} {
		dm, err := macaroon.New([]byte(d[0]), []byte(d[1]), "", version)
		must(err)
		dm.Bind(m.Signature())
		out = append(out, dm)
	}
	return out
}

func encode(ms []*macaroon.Macaroon) (binary []string, text []string) {
	for _, m := range ms {
		b, err := m.MarshalBinary()
		must(err)
		binary = append(binary, base64.RawURLEncoding.EncodeToString(b))
		j, err := json.Marshal(m)
		must(err)
		text = append(text, string(j))
	}
	return
}

func decode(s string) (*macaroon.Macaroon, error) {
	var m macaroon.Macaroon
	if strings.HasPrefix(s, "{") {
		return &m, json.Unmarshal([]byte(s), &m)
	}
	b, err := macaroon.Base64Decode([]byte(s))
	if err != nil {
		return nil, err
	}
	return &m, m.UnmarshalBinary(b)
}

type thirdParty struct {
	LocationHex string `json:"location_hex"`
	IDHex       string `json:"id_hex"`
}

type report struct {
	IdentifierHex string       `json:"identifier_hex"`
	SignatureHex  string       `json:"signature_hex"`
	ThirdParty    []thirdParty `json:"third_party"`
	Verified      bool         `json:"verified"`
	Error         *string      `json:"error"`
}

func check(args []string) report {
	var ms []*macaroon.Macaroon
	for _, a := range args {
		m, err := decode(a)
		if err != nil {
			msg := "decode: " + err.Error()
			return report{Error: &msg, ThirdParty: []thirdParty{}}
		}
		ms = append(ms, m)
	}
	r := report{
		IdentifierHex: hex.EncodeToString(ms[0].Id()),
		SignatureHex:  hex.EncodeToString(ms[0].Signature()),
		ThirdParty:    []thirdParty{},
	}
	for _, c := range ms[0].Caveats() {
		if c.VerificationId != nil {
			r.ThirdParty = append(r.ThirdParty, thirdParty{hex.EncodeToString([]byte(c.Location)), hex.EncodeToString(c.Id)})
		}
	}
	err := ms[0].Verify([]byte("root-key"), func(c string) error {
		if c == "" || c == "org = acme" {
			return nil
		}
		return errors.New("caveat not satisfied")
	}, ms[1:])
	r.Verified = err == nil
	if err != nil {
		msg := err.Error()
		r.Error = &msg
	}
	return r
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "mint" {
		out := map[string][]string{}
		out["v1"], out["json-v1"] = encode(mint(macaroon.V1))
		out["v2"], out["json-v2"] = encode(mint(macaroon.V2))
		must(json.NewEncoder(os.Stdout).Encode(out))
		return
	}
	if len(os.Args) >= 3 && os.Args[1] == "check" {
		var group []string
		for _, arg := range append(os.Args[2:], "--") {
			if arg != "--" {
				group = append(group, arg)
				continue
			}
			must(json.NewEncoder(os.Stdout).Encode(check(group)))
			group = nil
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: gomacaroon mint | check M D…")
	os.Exit(2)
}

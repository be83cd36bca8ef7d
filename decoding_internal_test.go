package otpkit

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The models and the calls decode through one set of forms (decoding.go).
// These bodies pin what they accept and refuse: members in any case, null
// and "" as absent times, the escaped slow path, and wrong types as errors.

const decodingSeedVerifyCode = `{"id":"d7ad7539-fb8f-4dbb-a7f7-7c40babec969","user_id":12345,"phone":"+491701234567",
 "routing_strategy":[{"channel":"telegram","timeout_sec":30},{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}],
 "status":10,"delivered_channel":"sms","cost":120,"currency":"EUR","code":"1234","code_length":4,"payload":"p","lang":"EN",
 "created_at":1779903448,"updated_at":1779903510,
 "history":[{"id":"bccaff09-59f2-11f1-a685-7c10c91d54a1","channel":"telegram","status":20,"processed_at":1779903478,"external_id":"tg_msg_001"},
            {"id":"bccaff09-59f2-11f1-a685-7c10c91d54a3","channel":"sms","status":10,"processed_at":0,"external_id":null}],
 "is_code_deleted":false}`

var verifyCodeBodies = []string{
	decodingSeedVerifyCode,
	`{"id":"x","code":null,"cost":null,"currency":null,"payload":null,"delivered_channel":null,"code_length":null,"history":null,"routing_strategy":null}`,
	`{"id":"x","history":[],"routing_strategy":[]}`,
	`{"id":"x","history":[{}],"created_at":0}`,
	`{"ID":"upper","User_ID":7,"HISTORY":[{"Processed_At":5}]}`,
	`{}`,
	`{"id":"x","created_at":"1779903448"}`, // wrong type
	`{"id":"x","history":[{"processed_at":"soon"}]}`,
	`{"id":"x","history":{}}`,
	`{"id":"x","status":"10"}`,
	`[]`,
	`null`,
}

var verificationBodies = []string{
	`{"verification_id":"ver_1","to":"+4917012345678","channel":"sms","status":"pending","attempts":2,"max_attempts":5,
	  "created_at":"2026-05-27T10:00:00Z","expires_at":"2026-05-27T10:10:00Z"}`,
	`{"verification_id":"ver_1","status":"approved","to":"+4917012345678","channel":"sms"}`,
	`{"verification_id":"ver_1","attempts":0,"created_at":"2026-05-27T12:00:00.123456+02:00","expires_at":null}`,
	`{"verification_id":"ver_1","attempts":null,"created_at":"","expires_at":"2026-05-27T10:10:00Z"}`,
	`{"verification_id":"ver_1","created_at":"\u0032026-05-27T10:00:00Z"}`, // escaped: the slow path
	`{"Verification_ID":"ver_1","CREATED_AT":"2026-05-27T10:00:00Z"}`,
	`{"verification_id":"ver_1","created_at":"27 May 2026"}`,
	`{"verification_id":"ver_1","created_at":1779903448}`,
	`{"verification_id":"ver_1","created_at":{}}`,
	`{"verification_id":"ver_1","attempts":"2"}`,
	`{}`,
}

var codeStatusBodies = []string{
	`{"requestId":"0d5c94d4-df1f-4fc8-82d2-1f64ea548704","phoneNumber":"447123123456","status":"Verified",
	  "numberStatus":"Valid","created":"2026-05-27T10:00:00.000Z","verified":"2026-05-27T10:01:02.345Z"}`,
	`{"requestId":"r","status":"NotVerified","created":"2026-05-27T10:00:00Z","verified":null}`,
	`{"requestId":"r","created":"2026-05-27T10:00:00Z","verified":""}`,
	`{"requestId":"r","verified":"0001-01-01T00:00:00Z"}`, // the zero time, given: not nil
	`{"requestId":"r","created":"","verified":"2026-05-27T12:00:00+02:00"}`,
	`{"RequestID":"r","Created":"2026-05-27T10:00:00Z"}`,
	`{"requestId":"r","verified":"yesterday"}`,
	`{"requestId":"r","created":true}`,
	`{}`,
}

// decodesAs checks that the bodies before firstBad decode and those from it
// on (but the last, when lastOK) are refused, and that what decodes encodes
// to JSON that survives another round trip unchanged (the wire forms keep
// only what the provider sends: Tryvox times in whole seconds).
func decodesAs[T any](t *testing.T, bodies []string, firstBad int, lastOK bool) {
	t.Helper()
	for i, body := range bodies {
		wantErr := i >= firstBad && !(lastOK && i == len(bodies)-1)
		var v T
		err := json.Unmarshal([]byte(body), &v)
		require.Equal(t, wantErr, err != nil, "%s: %v", body, err)
		if err != nil {
			continue
		}
		out, err := json.Marshal(v)
		require.NoError(t, err)
		var again T
		require.NoError(t, json.Unmarshal(out, &again), "%s", out)
		out2, err := json.Marshal(again)
		require.NoError(t, err)
		assert.JSONEq(t, string(out), string(out2), body)
	}
}

func TestDecodingForms(t *testing.T) {
	decodesAs[VerifyCode](t, verifyCodeBodies, 6, true)
	decodesAs[Verification](t, verificationBodies, 6, true)
	decodesAs[CodeStatus](t, codeStatusBodies, 6, true)

	var vc VerifyCode
	require.NoError(t, json.Unmarshal([]byte(verifyCodeBodies[4]), &vc))
	assert.Equal(t, 7, vc.UserID, "member names match in any case, as encoding/json does")
	require.Len(t, vc.History, 1)
	assert.Equal(t, int64(5), vc.History[0].ProcessedAt.Unix())

	var v Verification
	require.NoError(t, json.Unmarshal([]byte(verificationBodies[4]), &v))
	assert.Equal(t, 2026, v.CreatedAt.Year(), "an escaped timestamp decodes too")
	require.NoError(t, json.Unmarshal([]byte(verificationBodies[2]), &v))
	assert.Equal(t, "2026-05-27T10:00:00.123456Z", v.CreatedAt.Format("2006-01-02T15:04:05.999999Z07:00"), "kept in UTC")
	assert.True(t, v.ExpiresAt.IsZero(), "null is absent")

	var cs CodeStatus
	require.NoError(t, json.Unmarshal([]byte(codeStatusBodies[2]), &cs))
	assert.Nil(t, cs.Verified, `"" is absent`)
	require.NoError(t, json.Unmarshal([]byte(codeStatusBodies[3]), &cs))
	assert.NotNil(t, cs.Verified, "the zero time, given, is not nil")
}

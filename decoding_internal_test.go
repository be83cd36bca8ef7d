package otpkit

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The decoding forms the calls use (decoding.go) must read every body as
// the models' own UnmarshalJSON methods do: same values, same errors.

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

func TestVerifyCodeInDecodesAsTheModel(t *testing.T) {
	for _, body := range verifyCodeBodies {
		var want VerifyCode
		wantErr := json.Unmarshal([]byte(body), &want)
		var in verifyCodeIn
		gotErr := json.Unmarshal([]byte(body), &in)
		require.Equal(t, wantErr != nil, gotErr != nil, "%s: errors %v and %v", body, wantErr, gotErr)
		if wantErr == nil {
			assert.Equal(t, want, in.model(), body)
		}
	}
	// A list, as ListVerifyCodes decodes it.
	var want []VerifyCode
	require.NoError(t, json.Unmarshal([]byte(`[`+decodingSeedVerifyCode+`,{"id":"y"}]`), &want))
	var in []verifyCodeIn
	require.NoError(t, json.Unmarshal([]byte(`[`+decodingSeedVerifyCode+`,{"id":"y"}]`), &in))
	require.Len(t, in, 2)
	assert.Equal(t, want, []VerifyCode{in[0].model(), in[1].model()})
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

func TestVerificationInDecodesAsTheModel(t *testing.T) {
	for _, body := range verificationBodies {
		var want Verification
		wantErr := json.Unmarshal([]byte(body), &want)
		var in verificationIn
		gotErr := json.Unmarshal([]byte(body), &in)
		require.Equal(t, wantErr != nil, gotErr != nil, "%s: errors %v and %v", body, wantErr, gotErr)
		if wantErr == nil {
			assert.Equal(t, want, in.model(), body)
		}
		// Inside the envelope, as the calls read it.
		var env struct {
			Data *Verification `json:"data"`
		}
		wantErr = json.Unmarshal([]byte(`{"data":`+body+`}`), &env)
		var envIn tryvoxEnvelope
		gotErr = json.Unmarshal([]byte(`{"data":`+body+`}`), &envIn)
		require.Equal(t, wantErr != nil, gotErr != nil, "envelope %s: errors %v and %v", body, wantErr, gotErr)
		if wantErr == nil {
			assert.Equal(t, *env.Data, envIn.Data.model(), body)
		}
	}
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

func TestCodeStatusInDecodesAsTheModel(t *testing.T) {
	for _, body := range codeStatusBodies {
		var want CodeStatus
		wantErr := json.Unmarshal([]byte(body), &want)
		var in codeStatusIn
		gotErr := json.Unmarshal([]byte(body), &in)
		require.Equal(t, wantErr != nil, gotErr != nil, "%s: errors %v and %v", body, wantErr, gotErr)
		if wantErr == nil {
			assert.Equal(t, want, in.model(), body)
		}
	}
}

// The point of the forms: fewer passes over the body. Not a timing (that
// is BenchmarkOverhead's job): the allocation count of a decode, which is
// deterministic.
func TestVerifyCodeInAllocatesLessThanTheModel(t *testing.T) {
	body := []byte(decodingSeedVerifyCode)
	model := testing.AllocsPerRun(20, func() {
		var v VerifyCode
		_ = json.Unmarshal(body, &v)
	})
	in := testing.AllocsPerRun(20, func() {
		var w verifyCodeIn
		_ = json.Unmarshal(body, &w)
		_ = w.model()
	})
	assert.Less(t, in, model, "allocations: decoding form %v, model %v", in, model)
}

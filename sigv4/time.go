package sigv4

import "time"

// CheckTime reports whether the request is still within its validity window at
// now. A request signed in the Authorization header must be within 15 minutes of
// now, either way. A presigned request is valid from 15 minutes before its
// X-Amz-Date until X-Amz-Date plus X-Amz-Expires. Outside the window it returns
// an *Error with CodeRequestExpired.
func (s *Signature) CheckTime(now time.Time) error {
	now = now.UTC()
	if s.Presigned {
		expires := s.Expires
		if expires <= 0 {
			expires = maxSkew
		}
		if now.After(s.Time.Add(expires)) || s.Time.After(now.Add(maxSkew)) {
			return &Error{Code: CodeRequestExpired, Message: "Request has expired."}
		}
		return nil
	}
	if earliest := now.Add(-maxSkew); s.Time.Before(earliest) {
		return &Error{Code: CodeRequestExpired, Message: "Signature expired: " + amzDate(s.Time) +
			" is now earlier than " + amzDate(earliest) + " (" + amzDate(now) + " - 15 min.)"}
	}
	if latest := now.Add(maxSkew); s.Time.After(latest) {
		return &Error{Code: CodeRequestExpired, Message: "Signature not yet current: " + amzDate(s.Time) +
			" is still later than " + amzDate(latest) + " (" + amzDate(now) + " + 15 min.)"}
	}
	return nil
}

func amzDate(t time.Time) string {
	return string(appendAmzDate(make([]byte, 0, len(amzDateLayout)), t))
}

// appendAmzDate appends t as YYYYMMDD'T'HHMMSS'Z' without the cost of
// time.Format on the verification path.
func appendAmzDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	dst = appendDigits(dst, y, 4)
	dst = appendDigits(dst, int(mo), 2)
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, h, 2)
	dst = appendDigits(dst, mi, 2)
	dst = appendDigits(dst, sec, 2)
	return append(dst, 'Z')
}

func appendDigits(dst []byte, v, width int) []byte {
	if v < 0 {
		v = -v
	}
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}

{
	"subject": {"commonName": {{ toJson .Subject.CommonName }}},
	"emailAddresses": {{ toJson .EmailAddresses }},
	"keyUsage": ["digitalSignature"],
	"extKeyUsage": ["clientAuth"]
}

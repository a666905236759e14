package maskprocessor

// rule names what found a secret. The set is closed so that mask.rules and the rule attribute of
// the metrics stay bounded whatever the records hold.
type rule uint8

const (
	ruleKey rule = iota
	ruleAWSAccessKeyID
	ruleAWSSecretAccessKey
	ruleJWT
	rulePEMPrivateKey
	ruleBearer
	ruleURLPassword
	ruleConnectionString
	ruleAssignment
	ruleGitHubToken
	ruleGitLabToken
	ruleSlackToken
	ruleSlackWebhook
	ruleStripeKey
	ruleGoogleAPIKey
	ruleHighEntropy
	numRules
)

// ruleNames are the names used in configuration, in mask.rules and in metrics.
var ruleNames = [numRules]string{
	ruleKey:                "key",
	ruleAWSAccessKeyID:     "aws_access_key_id",
	ruleAWSSecretAccessKey: "aws_secret_access_key",
	ruleJWT:                "jwt",
	rulePEMPrivateKey:      "pem_private_key",
	ruleBearer:             "bearer",
	ruleURLPassword:        "url_password",
	ruleConnectionString:   "connection_string",
	ruleAssignment:         "assignment",
	ruleGitHubToken:        "github_token",
	ruleGitLabToken:        "gitlab_token",
	ruleSlackToken:         "slack_token",
	ruleSlackWebhook:       "slack_webhook",
	ruleStripeKey:          "stripe_key",
	ruleGoogleAPIKey:       "google_api_key",
	ruleHighEntropy:        "high_entropy",
}

func (r rule) String() string { return ruleNames[r] }

// ruleByName finds a rule by its configuration name.
func ruleByName(name string) (rule, bool) {
	for r, n := range ruleNames {
		if n == name {
			return rule(r), true
		}
	}
	return 0, false
}

// ruleSet is a set of rules, one bit each.
type ruleSet uint32

func (s *ruleSet) add(r rule)     { *s |= 1 << r }
func (s ruleSet) has(r rule) bool { return s&(1<<r) != 0 }

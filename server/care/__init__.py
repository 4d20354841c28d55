"""Care navigation: community resources (imported from Open Referral HSDS), referrals of the
people a response met to them with each status change kept, and the navigators' follow-ups."""

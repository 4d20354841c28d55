"""The program's indicators: responses, transports, eligible calls served, referrals, response
times, calls diverted and officer time saved, responder safety, naloxone; JSON and CSV."""

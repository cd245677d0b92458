"""Word lists the rules extractor recognises: jobs, pets, family, diets, languages ..."""

from __future__ import annotations

JOBS = set("""
accountant actor actress analyst architect artist assistant astronaut baker banker barber barista bartender
biologist bookkeeper builder butcher carpenter cashier chef chemist cleaner clerk coach consultant cook
counselor counsellor dancer dentist designer detective developer dietitian director doctor driver economist
editor electrician engineer entrepreneur farmer firefighter fisherman florist freelancer gardener geologist
graphic hairdresser historian illustrator influencer instructor intern janitor journalist judge landscaper
lawyer lecturer librarian lifeguard linguist manager mechanic midwife model musician nanny nurse nutritionist
optician paramedic pharmacist photographer physicist physician physiotherapist pilot plumber poet police
policeman policewoman politician producer professor programmer psychologist receptionist realtor recruiter
reporter researcher sailor salesman saleswoman scientist secretary singer soldier statistician student
surgeon tailor teacher technician therapist translator tutor veterinarian vet waiter waitress welder writer
youtuber streamer marketer founder ceo cto retiree librarian nutritionist paralegal pediatrician
""".split())
PETS = set("dog dogs puppy cat cats kitten hamster rabbit bunny parrot bird fish goldfish turtle tortoise "
           "snake lizard horse pony guinea pig ferret gecko budgie chicken chickens".split())
FAMILY = set("wife husband partner boyfriend girlfriend fiance fiancee fiancé fiancée son daughter mom mum "
             "mother dad father sister brother grandma grandmother grandpa grandfather cousin aunt uncle "
             "niece nephew stepmother stepfather stepson stepdaughter twin".split())
SINGLE_FAMILY = {"wife", "husband", "partner", "boyfriend", "girlfriend", "fiance", "fiancee", "fiancé",
                 "fiancée", "mom", "mum", "mother", "dad", "father"}
DIETS = ("vegetarian", "vegan", "pescatarian", "pescetarian", "keto", "gluten-free", "gluten free",
         "lactose intolerant", "halal", "kosher", "dairy-free", "dairy free", "paleo")
LANGUAGES = set("""english korean japanese chinese mandarin cantonese spanish french german italian portuguese
russian arabic hindi urdu bengali turkish dutch swedish norwegian danish finnish polish czech greek hebrew
thai vietnamese indonesian malay tagalog swahili persian farsi ukrainian romanian hungarian catalan
esperanto latin sign asl""".split())
CONDITIONS = ("diabetes", "type 1 diabetes", "type 2 diabetes", "asthma", "celiac disease", "coeliac disease",
              "adhd", "autism", "migraines", "high blood pressure", "hypertension", "arthritis", "epilepsy",
              "depression", "anxiety", "insomnia", "a heart condition", "cancer", "covid", "the flu", "a cold",
              "back pain", "a bad back", "eczema", "psoriasis", "lupus", "crohn's disease", "ibs")
NOT_NAMES = set("""fine good okay ok great tired sorry here back home done ready busy happy sad american british
canadian australian irish scottish welsh european asian african muslim christian jewish buddhist hindu catholic
single married vegan vegetarian""".split())
STATUS = ("married", "single", "divorced", "engaged", "widowed", "separated", "in a relationship")
EVENT_VERBS = ("went", "visited", "bought", "saw", "watched", "finished", "started", "met", "ran", "attended",
               "graduated", "celebrated", "traveled", "travelled", "flew", "baked", "lost", "won", "joined",
               "adopted", "broke", "quit", "moved", "painted", "wrote", "built", "completed", "passed",
               "signed up", "competed", "volunteered", "hiked", "climbed", "performed", "published", "launched",
               "gave birth", "got married", "got engaged", "got divorced", "got promoted", "got a new",
               "got my", "got an", "got a", "took up", "took part", "had a baby", "had surgery",
               "had an accident", "had an interview", "had a job interview", "had my", "read", "cooked",
               "made", "sold", "received", "organized", "organised", "hosted", "learned", "learnt")

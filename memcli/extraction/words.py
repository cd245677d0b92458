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
worker guard officer owner administrator admin caregiver carer courier labourer laborer bricklayer roofer
machinist operator inspector surveyor auditor broker trader investor blogger vlogger podcaster animator
copywriter composer dj trainer barrister solicitor attorney paramedic ranger postman mailman miner nun priest
pastor rabbi imam monk chaplain curator archivist zookeeper dispatcher estimator planner strategist
""".split())
PETS = set("dog dogs puppy cat cats kitten hamster rabbit bunny parrot bird fish goldfish turtle tortoise "
           "snake lizard horse pony guinea pig ferret gecko budgie chicken chickens kittens puppies".split())
# a breed says which pet it is: "a golden retriever named Max" is a dog named Max
BREEDS = {b: "dog" for b in """retriever labrador lab poodle labradoodle cockapoo beagle bulldog terrier spaniel
husky corgi dachshund chihuahua pug collie sheepdog greyhound whippet schnauzer boxer rottweiler doberman
pomeranian shiba akita maltese pitbull mutt""".split()}
BREEDS.update({b: "cat" for b in "tabby siamese ragdoll sphynx bengal".split()})
FAMILY = set("wife husband partner boyfriend girlfriend fiance fiancee fiancé fiancée son daughter mom mum "
             "mother dad father sister brother grandma grandmother grandpa grandfather cousin aunt uncle "
             "niece nephew stepmother stepfather stepson stepdaughter twin parents kids children grandparents "
             "stepmom stepdad grandson granddaughter".split())
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
              "back pain", "a bad back", "eczema", "psoriasis", "lupus", "crohn's disease", "ibs", "celiac",
              "coeliac", "crohn's", "long covid", "pcos", "endometriosis", "fibromyalgia", "multiple sclerosis",
              "ms", "tinnitus", "anemia", "anaemia", "hypothyroidism", "dyslexia", "bipolar disorder", "bipolar",
              "ocd", "ptsd", "a heart murmur", "high cholesterol", "sleep apnea", "scoliosis", "gout", "dementia",
              "parkinson's", "a concussion", "chronic pain", "a thyroid condition", "kidney disease")
NOT_NAMES = set("""fine good okay ok great tired sorry here back home done ready busy happy sad american british
canadian australian irish scottish welsh european asian african muslim christian jewish buddhist hindu catholic
single married vegan vegetarian italian mexican brazilian colombian argentinian chilean peruvian cuban indian
pakistani nigerian kenyan ghanaian egyptian moroccan turkish greek polish ukrainian russian german french dutch
belgian swiss austrian swedish norwegian danish finnish icelandic portuguese spanish korean japanese chinese
filipino vietnamese thai indonesian malaysian australian kiwi english latina latino black white gay straight
bi trans queer christian atheist agnostic mormon sikh protestant orthodox excited thrilled sure pregnant""".split())
# what someone does for fun, as a verb ("I knit a lot") and as its activity ("knitting")
PASTIMES = {"knit": "knitting", "paint": "painting", "draw": "drawing", "sew": "sewing", "bake": "baking",
            "garden": "gardening", "surf": "surfing", "ski": "skiing", "snowboard": "snowboarding",
            "skate": "skating", "dance": "dancing", "sing": "singing", "hike": "hiking", "climb": "climbing",
            "cycle": "cycling", "swim": "swimming", "run": "running", "fish": "fishing", "crochet": "crocheting",
            "write": "writing", "cook": "cooking", "meditate": "meditating", "sketch": "sketching",
            "jog": "jogging", "box": "boxing", "row": "rowing", "skateboard": "skateboarding", "bike": "biking"}
# sports and disciplines someone "does"
DISCIPLINES = set("""yoga pilates karate judo taekwondo kickboxing boxing ballet crossfit parkour archery fencing
gymnastics aikido jiu-jitsu jujitsu kung-fu zumba tai chi calisthenics triathlons marathons""".split())
# businesses a person runs or owns
BUSINESSES = set("""shop store business company restaurant cafe café bakery studio salon bar pub bookshop bookstore
firm practice clinic gym farm agency startup boutique brewery kitchen garage workshop label nursery""".split())
STATUS = ("married", "single", "divorced", "engaged", "widowed", "separated", "in a relationship")
EVENT_VERBS = ("went", "visited", "bought", "saw", "watched", "finished", "started", "met", "ran", "attended",
               "graduated", "celebrated", "traveled", "travelled", "flew", "baked", "lost", "won", "joined",
               "adopted", "broke", "quit", "moved", "painted", "wrote", "built", "completed", "passed",
               "signed up", "competed", "volunteered", "hiked", "climbed", "performed", "published", "launched",
               "gave birth", "got married", "got engaged", "got divorced", "got promoted", "got a new",
               "got my", "got an", "got a", "took up", "took part", "took", "had", "read", "cooked",
               "made", "sold", "received", "organized", "organised", "hosted", "learned", "learnt", "opened",
               "got back from", "came back from", "returned from", "got into", "dropped out", "tried", "booked",
               "finally got", "planted")
# what "I had ..." may be an event about (not "I had a great time")
HAD = ("surgery", "an operation", "a baby", "a stroke", "a heart attack", "an accident", "a car accident",
       "an interview", "a job interview", "a concussion", "covid", "the flu", "a wedding", "a party",
       "a miscarriage", "a scan", "a check-up", "a checkup", "a procedure", "twins", "a biopsy")

package langdetect

// Function words and everyday chat words per language. Short messages often
// consist of little else, and these words carry more evidence than their
// few trigrams. A word listed for several languages counts for each of
// them, so shared words ("in", "was", "die") cancel out and the trigrams
// decide.
var wordLists = map[string]string{
	"de": `der die das den dem des ein eine einen einem einer eines und oder aber in an
		nicht kein keine keinen ist sind war waren bin bist seid wird werden wurde
		wurden worden hat habe hast haben hatte hatten kann kannst können konnte
		muss musst müssen darf dürfen soll sollte sollen will wollen möchte möchten
		mag mit von zu zum zur bei nach aus über unter für gegen ohne durch um auf
		im am vom beim ins ans ich du er sie es wir ihr mich dich sich uns euch
		mir dir ihm ihn ihnen mein meine meinen meinem meiner dein deine sein seine
		ihre ihren unser unsere euer wie was wer wo wann warum wieso weshalb woher
		wohin welche welcher welches wieviel wie viel dass ob wenn weil als auch
		noch schon nur sehr mehr doch denn dann jetzt hier dort heute morgen gestern
		immer nie oft bitte danke dankeschön hallo tschüss tschüs moin servus grüß
		ja nein nö genau gibt gut schlecht neu alle alles etwas nichts viel viele
		wenig man jemand niemand gerne gern mal eigentlich leider bereits bisher
		sondern sowie damit dafür dagegen davon darüber warum geht gehen machen
		mache macht kommt kommen bekomme bekommen brauche brauchen hilfe frage
		fragen problem mitarbeiter kündigung rechnung konto bestellung lieferung
		zahlung vertrag guten tag abend geld lange dauert dauer kosten kostet
		ändern wann wurde welchen sollte zwischen während seit bis innerhalb
		ab andere anderen diese dieser dieses diesen jede jeder jedes selbst
		krank arzt schule kinder sicher infiziert angesteckt wirklich trotzdem`,
	"en": `the a an and or but not no yes is are was were be been being am do does
		did done have has had having can could will would shall should may might
		must of to in on at by for with from about into over under after before
		between through during without against i you he she it we they me him her
		us them my your his its our their mine yours this that these those what
		who whom whose which where when why how there here all any some many much
		more most other such only also just very too than then now again if
		because so as please thanks thank thx hello hi hey bye goodbye yeah yep
		nope okay help question problem account order delivery payment invoice
		refund cancel cancellation subscription contract long take takes get got
		does don't doesn't can't won't isn't aren't i'm i've it's what's how's
		anyone someone something anything nothing everyone way time day today
		tomorrow good bad new still already ever never always often someone
		people children school sick doctor safe infected really need want know`,
	"fr": `le la les un une des du de et ou mais ne pas plus est sont était être
		avoir ai as avons avez ont je tu il elle nous vous ils elles me te se
		mon ma mes ton ta tes son sa ses notre votre leur leurs ce cette ces qui
		que quoi quel quelle quels où quand comment pourquoi combien avec pour
		dans sur sous par sans chez vers très bien aussi encore déjà toujours
		jamais merci bonjour bonsoir salut oui non svp peut peux puis faut
		fait faire au aux en y c'est j'ai n'est qu'est`,
	"es": `el la los las un una unos unas y o pero no es son está están estar ser
		fue era he ha han hay tengo tiene tienen yo tú él ella nosotros ustedes
		ellos me te se mi mis tu tus su sus nuestro este esta estos estas ese esa
		que qué quien quién cual cuál donde dónde cuando cuándo como cómo por
		para con sin sobre entre muy más también ya todavía siempre nunca gracias
		hola buenos buenas días sí favor puedo puede pueden del al lo le les
		cuánto cuanto hacer hace necesito quiero`,
	"it": `il lo la i gli le un uno una e o ma non è sono era essere avere ho hai
		ha abbiamo avete hanno io tu lui lei noi voi loro mi ti si ci vi mio mia
		miei mie tuo tua suo sua nostro vostro questo questa questi quello quella
		che chi cosa quale dove quando come perché quanto con per su tra fra
		senza molto più anche ancora già sempre mai grazie ciao buongiorno
		buonasera sì prego posso può possono del della dei delle al alla nel
		nella sul sulla dal dalla fare voglio vorrei`,
	"nl": `de het een en in of maar niet geen is zijn was waren ben bent wordt worden
		werd heb hebt heeft hebben had kan kunnen moet moeten mag mogen wil
		willen ik jij je hij zij ze wij we jullie mij me hem haar ons hun mijn
		jouw zijn onze dit dat deze die wat wie waar wanneer waarom hoe welke
		met van voor naar bij uit over onder tegen zonder door op aan te om
		heel zeer ook nog al altijd nooit dank bedankt hallo hoi goedemorgen
		ja nee graag alstublieft alsjeblieft er hier daar nu dan`,
}

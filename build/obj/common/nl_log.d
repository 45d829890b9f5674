/work/main/build/obj/common/nl_log.o: /work/main/common/nl_log.cpp \
 /work/main/common/nl_log.h
/work/main/common/nl_log.h:
